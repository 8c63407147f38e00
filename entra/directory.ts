import { randomUUID, type X509Certificate } from "node:crypto";
import { parseCertificate } from "../common/certificate";
import { CodedError } from "../common/errors";
import { thumbprints } from "../common/thumbprint";

/** An app role as Graph describes it. */
export interface AppRole {
  id: string;
  value: string;
  displayName?: string;
  description?: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
}

/** A certificate key credential as Graph describes it; `key` holds the certificate PEM. */
export interface KeyCredential {
  keyId: string;
  type: "AsymmetricX509Cert";
  usage: "Verify";
  key: string;
  displayName: string;
  /** SHA-1 thumbprint, uppercase hex. */
  customKeyIdentifier: string;
  startDateTime: string;
  endDateTime: string;
  /** When it was added: the start of its propagation. */
  createdDateTime: string;
}

/** An optional claim as Graph describes it; only `accessToken` entries change what this server issues. */
export interface OptionalClaim {
  name: string;
  source?: string | null;
  essential?: boolean;
  additionalProperties?: string[];
}

export interface OptionalClaims {
  accessToken?: OptionalClaim[];
  idToken?: OptionalClaim[];
  saml2Token?: OptionalClaim[];
}

export interface Application {
  id: string;
  appId: string;
  tenantId: string;
  displayName: string;
  identifierUris: string[];
  appRoles: AppRole[];
  api: { requestedAccessTokenVersion: 1 | 2 | null };
  /** Absent in state files written before optional claims were kept. */
  optionalClaims?: OptionalClaims;
  keyCredentials: KeyCredential[];
  /** Object ids of its owners (users or service principals); absent in state files written before owners were kept. */
  owners?: string[];
  createdDateTime: string;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  tenantId: string;
  displayName: string;
  servicePrincipalNames: string[];
  createdDateTime: string;
}

export interface AppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  resourceId: string;
  createdDateTime: string;
}

/** The whole directory, as kept in the state file. */
export interface DirectoryState {
  tenants: { id: string; displayName: string }[];
  applications: Application[];
  servicePrincipals: ServicePrincipal[];
  appRoleAssignments: AppRoleAssignment[];
}

/**
 * Who makes an admin request. Graph lets an app-only caller that holds only Application.ReadWrite.OwnedBy change
 * just the applications it owns (https://learn.microsoft.com/graph/permissions-reference,
 * Application.ReadWrite.OwnedBy); the admin key alone is a caller with Application.ReadWrite.All.
 */
export interface Caller {
  objectId: string;
  ownedByOnly: boolean;
}

/** A refused admin request, with Graph's error code. */
export class DirectoryError extends CodedError {
  constructor(
    override readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const emptyDirectory = (): DirectoryState => ({
  tenants: [],
  applications: [],
  servicePrincipals: [],
  appRoleAssignments: [],
});

export function ensureTenant(state: DirectoryState): string {
  const [home] = state.tenants;
  if (home) return home.id;
  const tenant = { id: randomUUID(), displayName: "Local Entra ID" };
  state.tenants.push(tenant);
  return tenant.id;
}

export interface NewApplication {
  displayName: string;
  identifierUris?: string[];
  appRoles?: AppRole[];
  api?: { requestedAccessTokenVersion?: 1 | 2 | null };
  optionalClaims?: OptionalClaims;
  /** Owners' object ids, from `owners@odata.bind`. */
  owners?: string[];
}

/** A credential in `PATCH /applications/{id}` `keyCredentials`: `key` is base64 (of a PEM or of DER), or null to keep. */
export interface KeyCredentialPatch {
  keyId?: string;
  key?: string | null;
  type?: "AsymmetricX509Cert";
  usage?: "Verify";
  displayName?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
  customKeyIdentifier?: string | null;
}

/** What `PATCH /applications/{id}` may change. */
export type ApplicationPatch = Partial<Omit<NewApplication, "owners">> & { keyCredentials?: KeyCredentialPatch[] };

export function createApplication(
  state: DirectoryState,
  tenantId: string,
  input: NewApplication,
  now = new Date(),
): Application {
  if (!input.displayName?.trim()) throw new DirectoryError("Request_BadRequest", "displayName is required.");
  const app: Application = {
    id: randomUUID(),
    appId: randomUUID(),
    tenantId,
    displayName: input.displayName,
    identifierUris: input.identifierUris ?? [],
    appRoles: input.appRoles ?? [],
    api: { requestedAccessTokenVersion: input.api?.requestedAccessTokenVersion ?? null },
    optionalClaims: input.optionalClaims ?? { accessToken: [], idToken: [], saml2Token: [] },
    keyCredentials: [],
    owners: [...new Set((input.owners ?? []).map((o) => o.toLowerCase()))],
    createdDateTime: now.toISOString(),
  };
  state.applications.push(app);
  return app;
}

/** Graph's answer to a change an OwnedBy-only caller makes to an application it does not own. */
export function assertMayChange(app: Application, caller: Caller | undefined): void {
  if (!caller?.ownedByOnly) return;
  if ((app.owners ?? []).some((o) => sameId(o, caller.objectId))) return;
  throw new DirectoryError("Authorization_RequestDenied", "Insufficient privileges to complete the operation.", 403);
}

/**
 * Changes what PATCH /applications/{id} may change in place. `keyCredentials` is the whole list, as Graph takes it
 * (terraform-provider-azuread application_certificate_resource.go reads the application and PATCHes the list with
 * one credential more or less): an entry without a key keeps the credential of that keyId, one with a key is new.
 */
export function updateApplication(
  state: DirectoryState,
  id: string,
  patch: ApplicationPatch,
  caller?: Caller,
  now = new Date(),
): Application {
  const app = applicationById(state, id);
  assertMayChange(app, caller);
  if (patch.keyCredentials !== undefined) app.keyCredentials = keyCredentialsOf(app, patch.keyCredentials, now);
  if (patch.displayName !== undefined) app.displayName = patch.displayName;
  if (patch.identifierUris !== undefined) app.identifierUris = patch.identifierUris;
  if (patch.appRoles !== undefined) app.appRoles = patch.appRoles;
  if (patch.api !== undefined) app.api = { requestedAccessTokenVersion: patch.api.requestedAccessTokenVersion ?? null };
  if (patch.optionalClaims !== undefined) app.optionalClaims = patch.optionalClaims;
  return app;
}

export interface NewKeyCredential {
  key: string;
  keyId?: string;
  displayName?: string;
  startDateTime?: string;
  endDateTime?: string;
}

function keyCredentialsOf(app: Application, entries: KeyCredentialPatch[], now: Date): KeyCredential[] {
  const out: KeyCredential[] = [];
  for (const entry of entries) {
    const existing = entry.keyId ? app.keyCredentials.find((k) => sameId(k.keyId, entry.keyId ?? "")) : undefined;
    if (entry.key === undefined || entry.key === null) {
      // Graph returns `key` as null on a read, so a client keeps a credential by sending it back without one.
      if (!existing)
        throw new DirectoryError(
          "KeyCredentialsInvalidValue",
          `Key credential ${entry.keyId ?? "without a keyId"} has no key and is not on the application.`,
        );
      out.push(existing);
      continue;
    }
    const credential = newKeyCredential(
      {
        key: certificateText(entry.key),
        ...(entry.keyId ? { keyId: entry.keyId } : {}),
        ...(entry.displayName ? { displayName: entry.displayName } : {}),
        ...(entry.startDateTime ? { startDateTime: entry.startDateTime } : {}),
        ...(entry.endDateTime ? { endDateTime: entry.endDateTime } : {}),
      },
      now,
    );
    if (existing && existing.customKeyIdentifier !== credential.customKeyIdentifier)
      throw new DirectoryError(
        "Request_BadRequest",
        `Key credential ${existing.keyId} already exists with another key.`,
      );
    out.push(existing ?? credential);
  }
  const ids = new Set(out.map((k) => k.keyId.toLowerCase()));
  if (ids.size !== out.length)
    throw new DirectoryError("Request_BadRequest", "Each key credential must have a unique keyId.");
  return out;
}

/** A PATCH `key` is Edm.Binary: base64 of the certificate's bytes, which may be its PEM text or its DER. */
function certificateText(base64: string): string | Buffer {
  const bytes = Buffer.from(base64, "base64");
  const text = bytes.toString("latin1");
  return text.trimStart().startsWith("-----BEGIN") ? text : bytes;
}

/** Adds a certificate credential; an end date past the certificate's notAfter is refused, as Graph does. */
export function addKeyCredential(
  state: DirectoryState,
  appObjectId: string,
  input: NewKeyCredential,
  now = new Date(),
): KeyCredential {
  const app = applicationById(state, appObjectId);
  const credential = newKeyCredential(input, now);
  if (app.keyCredentials.some((k) => sameId(k.keyId, credential.keyId)))
    throw new DirectoryError("Request_BadRequest", `Key credential ${credential.keyId} already exists.`);
  app.keyCredentials.push(credential);
  return credential;
}

function newKeyCredential(input: Omit<NewKeyCredential, "key"> & { key: string | Buffer }, now: Date): KeyCredential {
  const cert = credentialCertificate(input.key);
  const notAfter = new Date(cert.validTo);
  const start = input.startDateTime ? new Date(input.startDateTime) : new Date(cert.validFrom);
  const end = input.endDateTime ? new Date(input.endDateTime) : notAfter;
  if (end > notAfter)
    throw new DirectoryError(
      "KeyCredentialsInvalidEndDate",
      `Key credential end date ${end.toISOString()} is later than the certificate's expiry ${notAfter.toISOString()}.`,
    );
  if (end <= start)
    throw new DirectoryError("KeyCredentialsInvalidEndDate", "Key credential end date must be after its start date.");
  const keyId = input.keyId ?? randomUUID();
  return {
    keyId,
    type: "AsymmetricX509Cert",
    usage: "Verify",
    key: cert.toString(),
    displayName: input.displayName ?? cert.subject.replaceAll("\n", ", "),
    customKeyIdentifier: thumbprints(cert).sha1,
    startDateTime: start.toISOString(),
    endDateTime: end.toISOString(),
    createdDateTime: now.toISOString(),
  };
}

export function removeKeyCredential(state: DirectoryState, appObjectId: string, keyId: string): void {
  const app = applicationById(state, appObjectId);
  const before = app.keyCredentials.length;
  app.keyCredentials = app.keyCredentials.filter((k) => !sameId(k.keyId, keyId));
  if (app.keyCredentials.length === before)
    throw new DirectoryError("Request_ResourceNotFound", `Key credential ${keyId} does not exist.`, 404);
}

export function deleteApplication(state: DirectoryState, id: string, caller?: Caller): void {
  const app = applicationById(state, id);
  assertMayChange(app, caller);
  state.applications = state.applications.filter((a) => a !== app);
}

/** `POST /applications/{id}/owners/$ref`: a directory object already an owner is refused, as Graph refuses it. */
export function addOwner(state: DirectoryState, appObjectId: string, ownerId: string, caller?: Caller): void {
  const app = applicationById(state, appObjectId);
  assertMayChange(app, caller);
  const owners = app.owners ?? [];
  if (owners.some((o) => sameId(o, ownerId)))
    throw new DirectoryError(
      "Request_BadRequest",
      "One or more added object references already exist for the following modified properties: 'owners'.",
    );
  app.owners = [...owners, ownerId.toLowerCase()];
}

/** `DELETE /applications/{id}/owners/{ownerId}/$ref`. */
export function removeOwner(state: DirectoryState, appObjectId: string, ownerId: string, caller?: Caller): void {
  const app = applicationById(state, appObjectId);
  assertMayChange(app, caller);
  const owners = app.owners ?? [];
  if (!owners.some((o) => sameId(o, ownerId)))
    throw new DirectoryError("Request_ResourceNotFound", `Resource '${ownerId}' does not exist.`, 404);
  app.owners = owners.filter((o) => !sameId(o, ownerId));
}

export function createServicePrincipal(state: DirectoryState, appId: string, now = new Date()): ServicePrincipal {
  const app = state.applications.find((a) => sameId(a.appId, appId));
  if (!app)
    throw new DirectoryError("Request_ResourceNotFound", `Application with appId ${appId} does not exist.`, 404);
  if (state.servicePrincipals.some((sp) => sp.appId === app.appId && sp.tenantId === app.tenantId)) {
    throw new DirectoryError(
      "Request_MultipleObjectsWithSameKeyValue",
      `A service principal for appId ${appId} already exists.`,
      409,
    );
  }
  const sp: ServicePrincipal = {
    id: randomUUID(),
    appId: app.appId,
    tenantId: app.tenantId,
    displayName: app.displayName,
    servicePrincipalNames: [appId, ...app.identifierUris],
    createdDateTime: now.toISOString(),
  };
  state.servicePrincipals.push(sp);
  return sp;
}

export function deleteServicePrincipal(state: DirectoryState, id: string): void {
  const sp = servicePrincipalById(state, id);
  state.servicePrincipals = state.servicePrincipals.filter((s) => s !== sp);
  state.appRoleAssignments = state.appRoleAssignments.filter((a) => a.principalId !== sp.id && a.resourceId !== sp.id);
}

/** Grants an app role with admin consent: the role must exist on the resource's application. */
export function assignAppRole(
  state: DirectoryState,
  input: { principalId: string; resourceId: string; appRoleId: string },
  now = new Date(),
): AppRoleAssignment {
  const principal = servicePrincipalById(state, input.principalId);
  const resource = servicePrincipalById(state, input.resourceId);
  const app = state.applications.find((a) => a.appId === resource.appId);
  if (!app?.appRoles.some((r) => sameId(r.id, input.appRoleId))) {
    throw new DirectoryError(
      "Request_BadRequest",
      `Permission being assigned was not found on application ${resource.appId}.`,
    );
  }
  const duplicate = state.appRoleAssignments.some(
    (a) => a.principalId === principal.id && a.resourceId === resource.id && sameId(a.appRoleId, input.appRoleId),
  );
  if (duplicate)
    throw new DirectoryError("Request_BadRequest", "Permission being assigned already exists on the object");
  const assignment: AppRoleAssignment = {
    id: randomUUID(),
    appRoleId: input.appRoleId.toLowerCase(),
    principalId: principal.id,
    resourceId: resource.id,
    createdDateTime: now.toISOString(),
  };
  state.appRoleAssignments.push(assignment);
  return assignment;
}

/** Removes an assignment; with `resourceId`, only one granted on that resource (the appRoleAssignedTo route). */
export function removeAppRoleAssignment(state: DirectoryState, id: string, resourceId?: string): void {
  const found = state.appRoleAssignments.find(
    (a) => sameId(a.id, id) && (resourceId === undefined || sameId(a.resourceId, resourceId)),
  );
  if (!found) throw new DirectoryError("Request_ResourceNotFound", `App role assignment ${id} does not exist.`, 404);
  state.appRoleAssignments = state.appRoleAssignments.filter((a) => a !== found);
}

/** Directory object ids are GUIDs, compared without regard to case as Entra ID does. */
export const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function applicationById(state: DirectoryState, id: string): Application {
  const app = state.applications.find((a) => sameId(a.id, id));
  if (!app) throw new DirectoryError("Request_ResourceNotFound", `Application ${id} does not exist.`, 404);
  return app;
}

export function servicePrincipalById(state: DirectoryState, id: string): ServicePrincipal {
  const sp = state.servicePrincipals.find((s) => sameId(s.id, id));
  if (!sp) throw new DirectoryError("Request_ResourceNotFound", `Service principal ${id} does not exist.`, 404);
  return sp;
}

function credentialCertificate(pem: string | Buffer): X509Certificate {
  const cert = parseCertificate(pem);
  if (!cert)
    throw new DirectoryError(
      "KeyCredentialsInvalidValue",
      "Key credential value is not a PEM or base64 DER certificate.",
    );
  return cert;
}
