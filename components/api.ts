import { createHash } from "node:crypto";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./defaults";
import { ConfigError } from "./errors";
import { appRoleDefinitions, appRoleId, grantedRoles } from "./roles";
import { stackPath } from "./stack";

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

/** What names the companion API for good: its stack and component, never its display name. */
export function apiKeyOf(name: string): string {
  return `${stackPath()}/${name}`;
}

/**
 * The default identifier URI's path: readable (project and stack), URI-safe (lowercase letters, digits and
 * dashes), and unique per stack and component through a hash of the full key. Identifier URIs are unique
 * in a tenant ("Another object with the same value for property identifierUris already exists").
 */
export function identifierPath(project: string, stack: string, apiKey: string): string {
  const slug = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40);
  const hash = createHash("sha256").update(apiKey).digest("hex").slice(0, 8);
  return [slug(project), slug(stack), hash].filter(Boolean).join("-");
}

/** The companion API this stack owns, exposing `apiRoles` to applications. */
export function companionApi(
  name: string,
  settings: Settings,
  tenantId: pulumi.Input<string>,
  owners: pulumi.Input<string[]>,
  parent: pulumi.Resource,
): ResourceApi {
  const apiName = `${settings.displayName}-api`;
  const apiKey = apiKeyOf(name);
  const path = identifierPath(pulumi.getProject(), pulumi.getStack(), apiKey);
  const identifier = settings.apiIdentifierUri
    ? pulumi.output(settings.apiIdentifierUri)
    : // Tenants refuse identifier URIs that are neither api://<appId>, under the tenant id, nor on a
      // verified domain; this form is known up front.
      pulumi.interpolate`api://${tenantId}/${path}`;
  const app = new azuread.Application(
    `${name}-api`,
    {
      displayName: apiName,
      signInAudience: settings.signInAudience,
      owners,
      identifierUris: [identifier],
      appRoles: appRoleDefinitions(apiKey, apiName, settings.apiRoles),
      api: { requestedAccessTokenVersion: settings.accessTokenVersion },
    },
    { parent },
  );
  // Only clients assigned a role get tokens for the API (azuread ServicePrincipal, appRoleAssignmentRequired).
  const sp = new azuread.ServicePrincipal(
    `${name}-api-sp`,
    { clientId: app.clientId, owners, appRoleAssignmentRequired: true },
    { parent },
  );
  const roleIds = Object.fromEntries(grantedRoles(settings).map((role) => [role, appRoleId(apiKey, role)]));
  return { servicePrincipalObjectId: sp.objectId, clientId: app.clientId, identifier, roleIds: pulumi.output(roleIds) };
}

/**
 * An API registered elsewhere, looked up by client id; its roles are checked at preview. The scope is
 * `apiIdentifierUri`, else `<apiClientId>/.default`, which Entra ID always accepts; the service
 * principal's `servicePrincipalNames` has no defined order, so its first URI is no answer.
 */
export function existingApi(settings: Settings, parent: pulumi.Resource): ResourceApi {
  const sp = azuread.getServicePrincipalOutput({ clientId: settings.apiClientId }, { parent });
  const roles = grantedRoles(settings);
  return {
    servicePrincipalObjectId: sp.objectId,
    clientId: pulumi.output(settings.apiClientId),
    identifier: pulumi.output(settings.apiIdentifierUri || settings.apiClientId),
    roleIds: sp.appRoleIds.apply((ids) => pickRoles(ids, roles, settings.apiClientId)),
  };
}

export function pickRoles(
  available: Record<string, string>,
  roles: string[],
  apiClientId: string,
): Record<string, string> {
  // The offered roles come from the directory and may be shown; the configured ones are named by position.
  const unknown = roles.flatMap((role, i) => (role in available ? [] : [`roles[${i}]`]));
  if (unknown.length > 0) {
    const offered = Object.keys(available).join(", ") || "none";
    throw new ConfigError(
      unknown.map((at) => `${at} is not a role API ${apiClientId} exposes (it exposes ${offered}): fix roles`),
    );
  }
  return Object.fromEntries(roles.flatMap((role) => (available[role] ? [[role, available[role]]] : [])));
}
