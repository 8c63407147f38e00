import { sharedCertificate } from "../support/certificates";

/** The one id every object of `loadedState` carries. */
export const stateId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const created = "2026-01-01T00:00:00Z";

/**
 * A state file as the local Entra ID's admin routes write it: one application with one key credential, its service
 * principal and one role assignment; `over` replaces the application's fields, the principal or the assignment.
 */
export async function loadedState(over: { app?: Record<string, unknown>; sp?: unknown; assignment?: unknown } = {}) {
  const id = stateId;
  const key = (await sharedCertificate()).certificatePem;
  const credential = { keyId: id, startDateTime: created, endDateTime: created, createdDateTime: created, key };
  return {
    applications: [
      {
        id,
        appId: id,
        tenantId: id,
        displayName: "a",
        createdDateTime: created,
        keyCredentials: [credential],
        ...over.app,
      },
    ],
    servicePrincipals: ["sp" in over ? over.sp : { id, appId: id, tenantId: id, createdDateTime: created }],
    appRoleAssignments: [
      "assignment" in over ? over.assignment : { id, appRoleId: id, principalId: id, resourceId: id },
    ],
  };
}
