import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./defaults";
import { ConfigError } from "./errors";
import { appRoleDefinitions, appRoleId, grantedRoles } from "./roles";

/** The API whose app roles the client is granted. */
export interface ResourceApi {
  /** Object id of the API's service principal: the resource of each role assignment. */
  servicePrincipalObjectId: pulumi.Output<string>;
  /** What the scope is built from: the identifier URI, or the client id. */
  identifier: pulumi.Output<string>;
  /** The API's client id: the audience of v2.0 tokens. */
  clientId: pulumi.Output<string>;
  /** Role value to app role id, for the granted roles only. */
  roleIds: pulumi.Output<Record<string, string>>;
}

/** The companion API this stack owns, exposing `apiRoles` to applications. */
export function companionApi(
  name: string,
  s: Settings,
  tenantId: pulumi.Input<string>,
  owners: pulumi.Input<string[]>,
  parent: pulumi.Resource,
): ResourceApi {
  const apiName = `${s.displayName}-api`;
  const identifier = s.apiIdentifierUri
    ? pulumi.output(s.apiIdentifierUri)
    : // Tenants refuse identifier URIs that are neither api://<appId>, under
      // the tenant id, nor on a verified domain; this form is known up front.
      pulumi.interpolate`api://${tenantId}/${apiName}`;
  const app = new azuread.Application(
    `${name}-api`,
    {
      displayName: apiName,
      signInAudience: s.signInAudience,
      owners,
      identifierUris: [identifier],
      appRoles: appRoleDefinitions(apiName, s.apiRoles),
      api: { requestedAccessTokenVersion: s.accessTokenVersion },
    },
    { parent },
  );
  const sp = new azuread.ServicePrincipal(`${name}-api-sp`, { clientId: app.clientId, owners }, { parent });
  const roleIds = Object.fromEntries(grantedRoles(s).map((role) => [role, appRoleId(apiName, role)]));
  return { servicePrincipalObjectId: sp.objectId, clientId: app.clientId, identifier, roleIds: pulumi.output(roleIds) };
}

/** An API registered elsewhere, looked up by client id; its roles are checked at preview. */
export function existingApi(s: Settings, parent: pulumi.Resource): ResourceApi {
  const sp = azuread.getServicePrincipalOutput({ clientId: s.apiClientId }, { parent });
  const roles = grantedRoles(s);
  return {
    servicePrincipalObjectId: sp.objectId,
    clientId: pulumi.output(s.apiClientId),
    identifier: sp.apply(
      (found) => s.apiIdentifierUri || found.servicePrincipalNames.find((n) => n !== found.clientId) || found.clientId,
    ),
    roleIds: sp.appRoleIds.apply((ids) => pickRoles(ids, roles, s.apiClientId)),
  };
}

export function pickRoles(
  available: Record<string, string>,
  roles: string[],
  apiClientId: string,
): Record<string, string> {
  const unknown = roles.filter((role) => !(role in available));
  if (unknown.length > 0) {
    const offered = Object.keys(available).join(", ") || "none";
    throw new ConfigError(
      unknown.map((role) => `role ${role} is unknown: API ${apiClientId} exposes ${offered}; fix roles`),
    );
  }
  return Object.fromEntries(roles.map((role) => [role, available[role]]));
}
