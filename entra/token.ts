import { type KeyObject, randomBytes, randomInt } from "node:crypto";
import { SignJWT } from "jose";
import type { Application, DirectoryState, ServicePrincipal } from "./directory";

/** The key that signs access tokens, as published in the JWKS. */
export interface SigningKey {
  key: KeyObject;
  kid: string;
}

export interface TokenGrant {
  state: DirectoryState;
  tenantId: string;
  client: ServicePrincipal;
  resourceApp: Application;
  resource: ServicePrincipal;
  /** The resource as the scope named it (identifier URI or client id). */
  requestedResource: string;
  /** Issuer host for v2.0 tokens, e.g. https://localhost:8443. */
  authorityHost: string;
  now: Date;
}

/** The token response body, as Entra ID sends it. */
export interface TokenResponse {
  token_type: "Bearer";
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

/**
 * An app-only access token. The resource decides its version
 * (api.requestedAccessTokenVersion: null or 1 gives v1.0, 2 gives v2.0);
 * `roles` appears only when the client holds assignments on the resource.
 */
export async function issueAccessToken(grant: TokenGrant, signing: SigningKey): Promise<TokenResponse> {
  const iat = Math.floor(grant.now.getTime() / 1000);
  // Entra ID spreads app token lifetimes between 60 and 90 minutes.
  const lifetime = randomInt(3600, 5401);
  const token = await new SignJWT(claims(grant))
    .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: signing.kid, x5t: signing.kid })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + lifetime)
    .sign(signing.key);
  return { token_type: "Bearer", expires_in: lifetime - 1, ext_expires_in: lifetime - 1, access_token: token };
}

function claims(grant: TokenGrant): Record<string, unknown> {
  const v2 = grant.resourceApp.api.requestedAccessTokenVersion === 2;
  const roles = rolesOf(grant);
  const common = {
    idtyp: "app",
    oid: grant.client.id,
    sub: grant.client.id,
    tid: grant.tenantId,
    uti: randomBytes(16).toString("base64url").slice(0, 22),
    ...(roles.length > 0 ? { roles } : {}),
  };
  if (v2) {
    return {
      aud: grant.resourceApp.appId,
      iss: `${grant.authorityHost}/${grant.tenantId}/v2.0`,
      azp: grant.client.appId,
      azpacr: "2",
      ver: "2.0",
      ...common,
    };
  }
  const iss = `https://sts.windows.net/${grant.tenantId}/`;
  return {
    aud: grant.requestedResource,
    iss,
    idp: iss,
    appid: grant.client.appId,
    appidacr: "2",
    ver: "1.0",
    ...common,
  };
}

function rolesOf(grant: TokenGrant): string[] {
  const byId = new Map(grant.resourceApp.appRoles.filter((r) => r.isEnabled).map((r) => [r.id, r.value]));
  return grant.state.appRoleAssignments
    .filter((a) => a.principalId === grant.client.id && a.resourceId === grant.resource.id)
    .map((a) => byId.get(a.appRoleId))
    .filter((v): v is string => v !== undefined);
}
