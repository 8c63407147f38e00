import type { DirectoryAdmin } from "../../../entra/admin";
import type {
  Application,
  AppRole,
  AppRoleAssignment,
  KeyCredential,
  NewApplication,
  NewKeyCredential,
  ServicePrincipal,
} from "../../../entra/directory";

/** The local Entra ID's admin interface, as the rehearsal's azuread handlers use it. */
export interface DirectoryApi {
  tenantId: string;
  createApplication(input: NewApplication): Promise<Application>;
  updateApplication(id: string, patch: Partial<NewApplication>): Promise<Application>;
  deleteApplication(id: string): Promise<void>;
  addKeyCredential(appObjectId: string, input: NewKeyCredential): Promise<KeyCredential>;
  removeKeyCredential(appObjectId: string, keyId: string): Promise<void>;
  createServicePrincipal(appId: string): Promise<ServicePrincipal>;
  deleteServicePrincipal(id: string): Promise<void>;
  assignAppRole(input: { principalId: string; resourceId: string; appRoleId: string }): Promise<AppRoleAssignment>;
  /** `resourceId` is the resource's service principal, whose appRoleAssignedTo holds the assignment. */
  removeAppRoleAssignment(id: string, resourceId?: string): Promise<void>;
  applications(): Promise<Application[]>;
  servicePrincipals(): Promise<ServicePrincipal[]>;
}

export type { AppRole };

/**
 * The same interface over a directory in this process. Kept in source, not
 * in test/, because test/support/program.ts (the program's tests, another
 * room's) runs the mock-monitor engine (providers/legacy) against it without
 * a server; it goes when those tests stop using that engine.
 */
export function inProcessDirectory(admin: DirectoryAdmin): DirectoryApi {
  return {
    tenantId: admin.tenantId,
    createApplication: async (input) => admin.createApplication(input),
    updateApplication: async (id, patch) => admin.updateApplication(id, patch),
    deleteApplication: async (id) => admin.deleteApplication(id),
    addKeyCredential: async (appObjectId, input) => admin.addKeyCredential(appObjectId, input),
    removeKeyCredential: async (appObjectId, keyId) => admin.removeKeyCredential(appObjectId, keyId),
    createServicePrincipal: async (appId) => admin.createServicePrincipal(appId),
    deleteServicePrincipal: async (id) => admin.deleteServicePrincipal(id),
    assignAppRole: async (input) => admin.assignAppRole(input),
    removeAppRoleAssignment: async (id) => admin.removeAppRoleAssignment(id),
    applications: async () => structuredClone(admin.state.applications),
    servicePrincipals: async () => structuredClone(admin.state.servicePrincipals),
  };
}
