import { createHash, X509Certificate } from "node:crypto";
import { compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from "jose";
import type { Application, KeyCredential } from "./directory";
import { aadsts } from "./errors";
import { usableKeyCredentials, type View } from "./visibility";

/** Algorithms Entra ID accepts for client assertions, and the thumbprint header each comes with. */
const algorithms = new Set(["RS256", "PS256"]);

// Entra ID tolerates clock skew between client and service.
const skewSeconds = 300;

export interface AssertionCheck {
  view: View;
  app: Application;
  clientId: string;
  assertion: string;
  /** The token endpoint the discovery document advertises: the only audience accepted. */
  tokenEndpoint: string;
}

/**
 * Authenticates a client by its assertion the way Entra ID does: algorithm,
 * key lookup by thumbprint among usable credentials, signature, then claims.
 * Returns the credential that verified it.
 */
export async function verifyClientAssertion(check: AssertionCheck): Promise<KeyCredential> {
  const header = protectedHeader(check.assertion);
  if (typeof header.alg !== "string" || !algorithms.has(header.alg))
    throw aadsts.unsupportedAlgorithm(String(header.alg));
  const thumbprint = thumbprintOf(header);
  const credential = findCredential(usableKeyCredentials(check.view, check.app), thumbprint);
  if (!credential) throw aadsts.keyNotFound(thumbprint.hex, check.app.appId);
  const payload = await verifiedPayload(check.assertion, header.alg, credential, thumbprint.hex);
  checkClaims(payload, check);
  return credential;
}

function protectedHeader(assertion: string): ProtectedHeaderParameters {
  try {
    if (assertion.split(".").length !== 3) throw new Error("not a JWS");
    return decodeProtectedHeader(assertion);
  } catch {
    throw aadsts.malformedAssertion();
  }
}

interface Thumbprint {
  kind: "sha1" | "sha256";
  hex: string;
}

/** `x5t#S256` wins over `x5t`; MSAL Python pads `x5t` with `=`, which base64url decoding ignores. */
function thumbprintOf(header: ProtectedHeaderParameters): Thumbprint {
  const s256 = header["x5t#S256"];
  if (typeof s256 === "string" && s256) return { kind: "sha256", hex: decodeThumbprint(s256) };
  if (typeof header.x5t === "string" && header.x5t) return { kind: "sha1", hex: decodeThumbprint(header.x5t) };
  throw aadsts.malformedAssertion();
}

const decodeThumbprint = (value: string) =>
  Buffer.from(value.replace(/=+$/, ""), "base64url").toString("hex").toUpperCase();

function findCredential(credentials: KeyCredential[], thumbprint: Thumbprint): KeyCredential | undefined {
  return credentials.find((k) => {
    const der = new X509Certificate(k.key).raw;
    const digest = createHash(thumbprint.kind === "sha1" ? "sha1" : "sha256")
      .update(der)
      .digest("hex")
      .toUpperCase();
    return digest === thumbprint.hex;
  });
}

async function verifiedPayload(
  assertion: string,
  alg: string,
  credential: KeyCredential,
  thumbprintHex: string,
): Promise<Record<string, unknown>> {
  const publicKey = new X509Certificate(credential.key).publicKey;
  try {
    const { payload } = await compactVerify(assertion, publicKey, { algorithms: [alg] });
    return JSON.parse(Buffer.from(payload).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw aadsts.badSignature(thumbprintHex, credential.startDateTime, credential.endDateTime);
  }
}

/** MSAL Python sends float exp/iat and no nbf; msal-node's iat can trail its nbf by a second. Both are fine. */
function checkClaims(payload: Record<string, unknown>, check: AssertionCheck): void {
  const now = check.view.now.getTime() / 1000;
  const exp = typeof payload.exp === "number" ? payload.exp : undefined;
  const nbf = typeof payload.nbf === "number" ? payload.nbf : undefined;
  if (exp === undefined || now > exp + skewSeconds || (nbf !== undefined && now < nbf - skewSeconds)) {
    throw aadsts.outsideValidity(
      iso(now),
      nbf === undefined ? "(none)" : iso(nbf),
      exp === undefined ? "(none)" : iso(exp),
    );
  }
  if (!audienceMatches(payload.aud, check.tokenEndpoint)) throw aadsts.wrongAudience();
  if (payload.iss !== check.clientId || payload.sub !== check.clientId) throw aadsts.issuerMismatch();
}

const audienceMatches = (aud: unknown, endpoint: string) =>
  Array.isArray(aud) ? aud.includes(endpoint) : aud === endpoint;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
