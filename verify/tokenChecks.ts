import type { JSONWebKeySet } from "jose";
import { createLocalJWKSet } from "jose/jwks/local";
// Subpath imports: loading all of jose (ESM, through require) costs verify tens of milliseconds at start.
import { compactVerify } from "jose/jws/compact/verify";
import { decodeJwt } from "jose/jwt/decode";
import { type Check, fail, pass } from "./check";
import type { ClientInputs } from "./inputs";
import { networkClient } from "./networkClient";

/** The claims verify reads from an access token. */
export type Claims = Record<string, unknown>;

/** Roles the token lacks; decoding only, used to decide whether to wait. */
export function missingRoles(accessToken: string, expected: string[]): string[] {
  const roles = rolesOf(safeDecode(accessToken));
  return expected.filter((r) => !roles.includes(r));
}

/**
 * The authority's published signing keys, from `jwksUri` when msal-node's
 * discovery already named it, else found through the discovery document.
 */
export async function fetchJwks(inputs: ClientInputs, jwksUri?: string): Promise<JSONWebKeySet> {
  const client = networkClient({ ca: inputs.caPem, timeoutMs: 30_000 });
  let uri = jwksUri;
  if (uri === undefined) {
    const config = await client.sendGetRequestAsync<{ jwks_uri?: string }>(
      `${inputs.authorityHost}/${inputs.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    if (config.status !== 200 || !config.body.jwks_uri) throw new Error(`discovery answered HTTP ${config.status}`);
    uri = config.body.jwks_uri;
  }
  const keys = await client.sendGetRequestAsync<JSONWebKeySet>(uri);
  if (keys.status !== 200 || !Array.isArray(keys.body.keys)) throw new Error(`JWKS answered HTTP ${keys.status}`);
  return keys.body;
}

/**
 * Checks a token the way the API that receives it should: signature against
 * the authority's keys, then issuer, tenant, audience, client, credential
 * type, lifetime and roles. Every check is reported; none stops the others.
 */
export async function checkToken(
  accessToken: string,
  inputs: ClientInputs,
  jwks: JSONWebKeySet,
  now = new Date(),
): Promise<Check[]> {
  const claims = safeDecode(accessToken);
  const v2 = claims.ver === "2.0";
  return [
    await signatureCheck(accessToken, jwks),
    issuerCheck(claims, inputs, v2),
    equalCheck("tenant (tid)", claims.tid, inputs.tenantId),
    audienceCheck(claims, inputs, v2),
    equalCheck(v2 ? "client (azp)" : "client (appid)", v2 ? claims.azp : claims.appid, inputs.clientId),
    credentialCheck(v2 ? claims.azpacr : claims.appidacr, v2 ? "azpacr" : "appidacr"),
    expiryCheck(claims, now),
    rolesCheck(claims, inputs.expectedRoles),
  ];
}

async function signatureCheck(token: string, jwks: JSONWebKeySet): Promise<Check> {
  try {
    const { protectedHeader } = await compactVerify(token, createLocalJWKSet(jwks), { algorithms: ["RS256"] });
    return pass("signature", `${protectedHeader.alg}, key ${protectedHeader.kid} from the authority's JWKS`);
  } catch (err) {
    return fail(
      "signature",
      `does not verify against the authority's JWKS (${(err as { code?: string }).code ?? "invalid"})`,
    );
  }
}

function issuerCheck(claims: Claims, inputs: ClientInputs, v2: boolean): Check {
  const expected = v2
    ? `${inputs.authorityHost}/${inputs.tenantId}/v2.0`
    : `https://sts.windows.net/${inputs.tenantId}/`;
  return equalCheck(`issuer (v${v2 ? "2.0" : "1.0"})`, claims.iss, expected);
}

/** v1.0 tokens carry the resource as asked for; v2.0 tokens the API's client id. */
function audienceCheck(claims: Claims, inputs: ClientInputs, v2: boolean): Check {
  const resource = inputs.scope.slice(0, -"/.default".length);
  const accepted = [resource, resource.replace(/\/$/, "")];
  // Stryker disable next-line ConditionalExpression: equivalent, an undefined entry never equals String(aud).
  if (inputs.apiClientId) accepted.push(inputs.apiClientId);
  if (!v2 || accepted.includes(String(claims.aud))) {
    return accepted.includes(String(claims.aud))
      ? pass("audience", String(claims.aud))
      : fail("audience", `${String(claims.aud)}, expected ${resource}`);
  }
  if (!inputs.apiClientId)
    return fail(
      "audience",
      `${String(claims.aud)} cannot be matched to ${resource}: pass --api-client-id (the apiClientId output) for v2.0 tokens`,
    );
  return fail("audience", `${String(claims.aud)}, expected ${inputs.apiClientId}`);
}

function credentialCheck(value: unknown, claim: string): Check {
  return value === "2"
    ? pass(`credential (${claim})`, "2: certificate")
    : fail(`credential (${claim})`, `${String(value)}: expected 2, a certificate (1 is a client secret)`);
}

function expiryCheck(claims: Claims, now: Date): Check {
  const exp = typeof claims.exp === "number" ? claims.exp : 0;
  const left = exp - now.getTime() / 1000;
  return left > 0
    ? pass("expiry", `expires in ${Math.round(left / 60)} min`)
    : fail("expiry", "the token is already expired");
}

function rolesCheck(claims: Claims, expected: string[]): Check {
  const roles = rolesOf(claims);
  const missing = expected.filter((r) => !roles.includes(r));
  if (missing.length > 0)
    return fail(
      "roles",
      `missing ${missing.join(", ")} (has ${roles.join(", ") || "none"}): grant them with an app role assignment and admin consent`,
    );
  return pass("roles", roles.length ? roles.join(", ") : "none expected");
}

function equalCheck(name: string, actual: unknown, expected: string): Check {
  return actual === expected ? pass(name, expected) : fail(name, `${String(actual)}, expected ${expected}`);
}

const rolesOf = (claims: Claims): string[] =>
  Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];

function safeDecode(token: string): Claims {
  try {
    return decodeJwt(token);
  } catch {
    return {};
  }
}
