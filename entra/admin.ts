import * as directory from "./directory";
import type { Store } from "./store";

/**
 * Registering things in the directory: the functions behind the Graph-shaped
 * admin routes, bound to a store so that every change is saved.
 */
export function directoryAdmin(store: Store) {
  const saved = <T>(result: T): T => {
    store.save();
    return result;
  };
  const s = store.state;
  return {
    tenantId: store.tenantId,
    state: s,
    createApplication: (input: directory.NewApplication) =>
      saved(directory.createApplication(s, store.tenantId, input)),
    updateApplication: (id: string, patch: Partial<directory.NewApplication>) =>
      saved(directory.updateApplication(s, id, patch)),
    deleteApplication: (id: string) => saved(directory.deleteApplication(store.state, id)),
    addKeyCredential: (appObjectId: string, input: directory.NewKeyCredential) =>
      saved(directory.addKeyCredential(s, appObjectId, input)),
    removeKeyCredential: (appObjectId: string, keyId: string) =>
      saved(directory.removeKeyCredential(s, appObjectId, keyId)),
    createServicePrincipal: (appId: string) => saved(directory.createServicePrincipal(s, appId)),
    deleteServicePrincipal: (id: string) => saved(directory.deleteServicePrincipal(s, id)),
    assignAppRole: (input: { principalId: string; resourceId: string; appRoleId: string }) =>
      saved(directory.assignAppRole(s, input)),
    removeAppRoleAssignment: (id: string) => saved(directory.removeAppRoleAssignment(s, id)),
  };
}

export type DirectoryAdmin = ReturnType<typeof directoryAdmin>;
