import { type Application, type DirectoryState, type KeyCredential, type ServicePrincipal, sameId } from "./directory";

/**
 * What the token endpoint can see. In a real tenant a new application or key
 * credential is usable only after it has replicated; `delayMs` stands in for
 * that replication.
 */
export interface View {
  state: DirectoryState;
  now: Date;
  delayMs: number;
}

const propagated = (view: View, created: string) => new Date(created).getTime() + view.delayMs <= view.now.getTime();

export function visibleApplication(view: View, tenantId: string, clientId: string): Application | undefined {
  return view.state.applications.find(
    (a) => a.tenantId === tenantId && sameId(a.appId, clientId) && propagated(view, a.createdDateTime),
  );
}

export function visibleServicePrincipal(view: View, tenantId: string, appId: string): ServicePrincipal | undefined {
  return view.state.servicePrincipals.find(
    (sp) => sp.tenantId === tenantId && sameId(sp.appId, appId) && propagated(view, sp.createdDateTime),
  );
}

/** Credentials that exist for the token endpoint: propagated, started and not expired. */
export function usableKeyCredentials(view: View, app: Application): KeyCredential[] {
  const now = view.now.getTime();
  return app.keyCredentials.filter(
    (k) =>
      propagated(view, k.createdDateTime) &&
      new Date(k.startDateTime).getTime() <= now &&
      now < new Date(k.endDateTime).getTime(),
  );
}
