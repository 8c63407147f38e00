import * as directory from "./directory";
import type { Store } from "./store";

/**
 * Registering things in the directory: the functions behind the Graph-shaped
 * admin routes, bound to a store. Each change is made on a copy that replaces
 * the state only once it is saved, so a refused or failed request changes
 * neither the memory nor the file.
 */
export function directoryAdmin(store: Store, now: () => Date = () => new Date()) {
  const change = <T>(apply: (draft: directory.DirectoryState) => T): T => {
    const draft = structuredClone(store.state);
    const result = apply(draft);
    store.commit(draft);
    return result;
  };
  return {
    tenantId: store.tenantId,
    get state() {
      return store.state;
    },
    createApplication: (input: directory.NewApplication) =>
      change((s) => directory.createApplication(s, store.tenantId, input, now())),
    updateApplication: (id: string, patch: directory.ApplicationPatch, caller?: directory.Caller) =>
      change((s) => directory.updateApplication(s, id, patch, caller, now())),
    deleteApplication: (id: string, caller?: directory.Caller) =>
      change((s) => directory.deleteApplication(s, id, caller)),
    addOwner: (appObjectId: string, ownerId: string, caller?: directory.Caller) =>
      change((s) => directory.addOwner(s, appObjectId, ownerId, caller)),
    removeOwner: (appObjectId: string, ownerId: string, caller?: directory.Caller) =>
      change((s) => directory.removeOwner(s, appObjectId, ownerId, caller)),
    addKeyCredential: (appObjectId: string, input: directory.NewKeyCredential) =>
      change((s) => directory.addKeyCredential(s, appObjectId, input, now())),
    removeKeyCredential: (appObjectId: string, keyId: string) =>
      change((s) => directory.removeKeyCredential(s, appObjectId, keyId)),
    createServicePrincipal: (appId: string) => change((s) => directory.createServicePrincipal(s, appId, now())),
    deleteServicePrincipal: (id: string) => change((s) => directory.deleteServicePrincipal(s, id)),
    assignAppRole: (input: { principalId: string; resourceId: string; appRoleId: string }) =>
      change((s) => directory.assignAppRole(s, input, now())),
    removeAppRoleAssignment: (id: string, resourceId?: string) =>
      change((s) => directory.removeAppRoleAssignment(s, id, resourceId)),
  };
}

export type DirectoryAdmin = ReturnType<typeof directoryAdmin>;
