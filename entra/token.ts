import { type KeyObject, randomBytes } from "node:crypto";
import type { Application, DirectoryState, ServicePrincipal } from "./directory";
import { signJwt } from "./jws";

/** The key that signs access tokens, as published in the JWKS. */
export interface SigningKey {
  key: KeyObject;
  /** base64url SHA-1 thumbprint of the signing certificate: both `kid` and `x5t`. */
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

/** The token response body of the v2.0 endpoint, as Entra ID sends it. */
export interface TokenResponse {
  token_type: "Bearer";
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

/**
 * One-hour tokens, answered with `expires_in` 3599, as in the documented client-credentials response:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#successful-response
 * (The token-lifetime docs give access tokens a random 60-90 minute default,
 * https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes#access-tokens ;
 * app-only tokens are observed with 3599, and a fixed value keeps tests exact.)
 */
export const lifetimeSeconds = 3600;
export const expiresIn = lifetimeSeconds - 1;

/** An app-only access token, signed; `iat` is the grant's clock. */
export async function issueAccessToken(grant: TokenGrant, signing: SigningKey): Promise<TokenResponse> {
  const iat = Math.floor(grant.now.getTime() / 1000);
  const v2 = grant.resourceApp.api.requestedAccessTokenVersion === 2;
  // v1.0 tokens carry both `x5t` and `kid`; v2.0 tokens only `kid`:
  // https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#header-claims
  const header = v2
    ? { typ: "JWT", alg: "RS256", kid: signing.kid }
    : { typ: "JWT", alg: "RS256", x5t: signing.kid, kid: signing.kid };
  const token = await signJwt(header, { ...claims(grant, v2), iat, nbf: iat, exp: iat + lifetimeSeconds }, signing.key);
  return { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token };
}

/**
 * The token's claims. The resource decides the version (api.requestedAccessTokenVersion:
 * null or 1 gives v1.0, 2 gives v2.0), and `roles` appears only when the client holds
 * assignments on the resource:
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#payload-claims
 */
function claims(grant: TokenGrant, v2: boolean): Record<string, unknown> {
  const roles = rolesOf(grant);
  const common = {
    // `aio` and `rh` are marked Opaque in the same reference (internal, "resources shouldn't use"), and `uti`
    // is the per-token identifier (like `jti`). Real app tokens carry all three; their values here are random
    // strings of the usual shape, so an API that parses them fails here as it would against Entra ID.
    aio: opaque(48),
    ...(wantsIdtyp(grant.resourceApp) ? { idtyp: "app" } : {}),
    oid: grant.client.id,
    rh: `0.${opaque(64)}.`,
    ...(roles.length > 0 ? { roles } : {}),
    sub: grant.client.id,
    tid: grant.tenantId,
    uti: opaque(22),
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

/**
 * `idtyp` is added only when the resource's registration lists it among its
 * access-token optional claims:
 * https://learn.microsoft.com/entra/identity-platform/optional-claims-reference#v10-and-v20-optional-claims-set
 */
const wantsIdtyp = (app: Application) => (app.optionalClaims?.accessToken ?? []).some((c) => c.name === "idtyp");

const opaque = (length: number) =>
  randomBytes(Math.ceil((length * 3) / 4))
    .toString("base64url")
    .slice(0, length);

function rolesOf(grant: TokenGrant): string[] {
  const byId = new Map(grant.resourceApp.appRoles.filter((r) => r.isEnabled).map((r) => [r.id.toLowerCase(), r.value]));
  return grant.state.appRoleAssignments
    .filter((a) => a.principalId === grant.client.id && a.resourceId === grant.resource.id)
    .map((a) => byId.get(a.appRoleId.toLowerCase()))
    .filter((v): v is string => v !== undefined);
}
