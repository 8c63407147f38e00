import { Agent } from "node:https";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import { requestJson } from "../common/https";
import { isRecord } from "../common/json";
import { isGuid, isSafeToQuote } from "../common/safe";
import { akv, KeyVaultError } from "./errors";

/** Whose tokens the vault trusts: the local Entra ID's tenant, reached over HTTPS with its CA. */
export interface TrustedIssuer {
  authorityHost: string;
  tenantId: string;
  caPem: string;
}

/** The caller of a request, from its token. */
export interface Principal {
  oid: string;
  appid?: string;
  iss: string;
}

/** Key Vault's resource: its tokens' audience (v1.0 tokens name it; its first-party app id is the same resource). */
export const vaultResource = "https://vault.azure.net";
const audiences = [vaultResource, `${vaultResource}/`, "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"];

/** Entra ID's signing keys roll; five minutes of skew are what Microsoft.IdentityModel allows by default. */
const clockSkewSeconds = 300;
/** An unknown `kid` refetches the keys, at most this often: a stream of forged tokens is not a stream of fetches. */
const refetchAfterMs = 10_000;

/**
 * Checks bearer tokens as Key Vault does: signature by a key the tenant publishes (fetched from the
 * authority's JWKS, cached, refetched once on an unknown `kid`), `exp`/`nbf` against the vault's clock,
 * the audience, the issuer (v1.0 `https://sts.windows.net/<tenant>/` or v2.0 `<authority>/v2.0`), `tid`.
 */
export function tokenChecker(issuer: TrustedIssuer, now: () => Date) {
  const agent = new Agent({ ca: issuer.caPem, keepAlive: false });
  const jwksUrl = `${issuer.authorityHost}/${issuer.tenantId}/discovery/v2.0/keys`;
  const issuers = [`https://sts.windows.net/${issuer.tenantId}/`, `${issuer.authorityHost}/${issuer.tenantId}/v2.0`];
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = 0;
  const fetchKeys = async () => {
    const res = await requestJson<JSONWebKeySet>(jwksUrl, { agent, timeoutMs: 10_000 }).catch(() => undefined);
    if (res?.status !== 200 || !isRecord(res.body) || !Array.isArray(res.body.keys))
      throw new KeyVaultError(
        503,
        "ServiceUnavailable",
        "The token issuer's signing keys could not be read; try again.",
      );
    keys = createLocalJWKSet(res.body);
    fetchedAt = Date.now();
    return keys;
  };

  const verify = async (token: string) => {
    // Entra ID's tokens always carry exp; one without it would never expire, so it is refused like an expired one.
    const options = {
      algorithms: ["RS256"],
      currentDate: now(),
      clockTolerance: clockSkewSeconds,
      requiredClaims: ["exp"],
    };
    const keySet = keys ?? (await fetchKeys());
    try {
      return await jwtVerify(token, keySet, options);
    } catch (err) {
      if ((err as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY" || Date.now() - fetchedAt < refetchAfterMs)
        throw err;
      return jwtVerify(token, await fetchKeys(), options);
    }
  };

  return async function check(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(authorization ?? "");
    const token = match?.[1];
    if (!authorization) throw akv.missingToken();
    if (!token) throw akv.malformedToken();
    try {
      decodeProtectedHeader(token);
      decodeJwt(token);
    } catch {
      throw akv.malformedToken();
    }
    let payload: Record<string, unknown>;
    try {
      payload = (await verify(token)).payload;
    } catch (err) {
      throw mapJoseError(err);
    }
    const aud = payload.aud;
    if (typeof aud !== "string" || !audiences.includes(aud)) throw akv.invalidAudience(shown(aud));
    if (typeof payload.iss !== "string" || !issuers.includes(payload.iss))
      throw akv.invalidIssuer(issuers.join(", "), shown(payload.iss));
    if (payload.tid !== issuer.tenantId) throw akv.invalidIssuer(issuers.join(", "), shown(payload.iss));
    if (typeof payload.oid !== "string" || !isGuid(payload.oid))
      throw new KeyVaultError(401, "Unauthorized", "AKV10000: The token holds no object id (oid).");
    const appid = typeof payload.appid === "string" ? payload.appid : payload.azp;
    return {
      oid: payload.oid.toLowerCase(),
      iss: payload.iss,
      ...(typeof appid === "string" && isGuid(appid) ? { appid } : {}),
    };
  };
}

/** A claim is quoted only when its shape rules out a secret (a GUID or an https URL). */
const shown = (value: unknown) => (isSafeToQuote(value) ? value : "(a value that is not shown)");

function mapJoseError(err: unknown): KeyVaultError {
  if (err instanceof KeyVaultError) return err;
  const { code, claim } = err as { code?: string; claim?: string };
  if (code === "ERR_JWT_EXPIRED") return akv.expired();
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && claim === "exp") return akv.expired();
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED" && claim === "nbf") return akv.notYetValid();
  if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") return akv.unknownKey();
  if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return akv.badSignature();
  return akv.malformedToken();
}
