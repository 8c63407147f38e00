import { type KeyObject, X509Certificate } from "node:crypto";
import { decodeProtectedHeader, type ProtectedHeaderParameters } from "jose";
import { thumbprints } from "../common/thumbprint";
import type { Application, KeyCredential } from "./directory";
import { aadsts } from "./errors";
import { verifyJws } from "./jws";
import { usableKeyCredentials, type View } from "./visibility";

/**
 * Algorithms Entra ID accepts for client assertions: RS256 with `x5t` (msal-node `thumbprint`,
 * MSAL Python) and PS256 with `x5t#S256` (msal-node `thumbprintSha256`).
 * https://learn.microsoft.com/entra/identity-platform/certificate-credentials#header
 */
const algorithms = new Set(["RS256", "PS256"]);
const isAlgorithm = (alg: unknown): alg is "RS256" | "PS256" => typeof alg === "string" && algorithms.has(alg);

/**
 * Entra ID tolerates five minutes of clock skew on `nbf` and `exp`, the
 * usual default of its token validation (Microsoft.IdentityModel
 * TokenValidationParameters.DefaultClockSkew = 300 s):
 * https://learn.microsoft.com/dotnet/api/microsoft.identitymodel.tokens.tokenvalidationparameters.defaultclockskew
 */
const skewSeconds = 300;

export interface AssertionCheck {
  view: View;
  app: Application;
  clientId: string;
  assertion: string;
  /** The token endpoints the discovery documents advertise (v2.0 and v1.0): the only audiences accepted. */
  tokenEndpoints: string[];
}

/**
 * Authenticates a client by its assertion the way Entra ID does: algorithm,
 * key lookup by thumbprint among usable credentials, signature, then claims.
 * Returns the credential that verified it.
 */
export async function verifyClientAssertion(check: AssertionCheck): Promise<KeyCredential> {
  const header = protectedHeader(check.assertion);
  // Header values are the client's JSON: an `alg` that is no string is malformed, never turned into text.
  if (typeof header.alg !== "string") throw aadsts.malformedAssertion();
  if (!isAlgorithm(header.alg)) throw aadsts.unsupportedAlgorithm(header.alg.slice(0, 16));
  // A critical extension this server does not know must fail the JWS (RFC 7515 section 4.1.11).
  if (header.crit !== undefined) throw aadsts.malformedAssertion();
  const thumbprint = thumbprintOf(header);
  const credential = usableKeyCredentials(check.view, check.app).find(
    (k) => parsedCertificate(k.key)[thumbprint.kind] === thumbprint.hex,
  );
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

/**
 * `x5t#S256` wins over `x5t`; MSAL Python pads `x5t` with `=`, which base64url
 * decoding ignores (msal/oauth2cli/assertion.py encodes with urlsafe_b64encode).
 */
function thumbprintOf(header: ProtectedHeaderParameters): Thumbprint {
  const s256 = header["x5t#S256"];
  if (typeof s256 === "string" && s256) return { kind: "sha256", hex: decodeThumbprint(s256) };
  if (typeof header.x5t === "string" && header.x5t) return { kind: "sha1", hex: decodeThumbprint(header.x5t) };
  throw aadsts.malformedAssertion();
}

/** Only the first 64 bytes count: no thumbprint is longer, and the hex ends up in an error message. */
const decodeThumbprint = (value: string) =>
  Buffer.from(value.replace(/=+$/, ""), "base64url").subarray(0, 64).toString("hex").toUpperCase();

interface ParsedCertificate {
  sha1: string;
  sha256: string;
  publicKey: KeyObject;
}

/**
 * Certificates parsed once, by PEM: a token request never parses X.509 again.
 * Bounded, since credentials come and go over a server's life.
 */
const parsed = new Map<string, ParsedCertificate>();
const maxParsed = 1000;

function parsedCertificate(pem: string): ParsedCertificate {
  const hit = parsed.get(pem);
  if (hit) return hit;
  const cert = new X509Certificate(pem);
  const entry = { ...thumbprints(cert), publicKey: cert.publicKey };
  if (parsed.size >= maxParsed) parsed.clear();
  parsed.set(pem, entry);
  return entry;
}

async function verifiedPayload(
  assertion: string,
  alg: "RS256" | "PS256",
  credential: KeyCredential,
  thumbprintHex: string,
): Promise<Record<string, unknown>> {
  let payload: Buffer;
  try {
    payload = await verifyJws(assertion, alg, parsedCertificate(credential.key).publicKey);
  } catch {
    throw aadsts.badSignature(thumbprintHex, credential.startDateTime, credential.endDateTime);
  }
  // Signed, but it must still be a JSON object of claims.
  let claims: unknown;
  try {
    claims = JSON.parse(payload.toString("utf8"));
  } catch {
    throw aadsts.malformedAssertion();
  }
  if (claims === null || typeof claims !== "object" || Array.isArray(claims)) throw aadsts.malformedAssertion();
  return claims as Record<string, unknown>;
}

/**
 * MSAL Python sends float exp/iat and no nbf; msal-node's iat can trail its nbf by a second. Both are fine.
 * Claims Entra ID checks: https://learn.microsoft.com/entra/identity-platform/certificate-credentials#claims-payload
 */
function checkClaims(payload: Record<string, unknown>, check: AssertionCheck): void {
  const now = check.view.now.getTime() / 1000;
  const exp = finite(payload.exp);
  const nbf = finite(payload.nbf);
  if (exp === undefined || now > exp + skewSeconds || (nbf !== undefined && now < nbf - skewSeconds)) {
    throw aadsts.outsideValidity(
      iso(now),
      nbf === undefined ? "(none)" : iso(nbf),
      exp === undefined ? "(none)" : iso(exp),
    );
  }
  if (!audienceMatches(payload.aud, check.tokenEndpoints)) throw aadsts.wrongAudience();
  if (payload.iss !== check.clientId || payload.sub !== check.clientId) throw aadsts.issuerMismatch();
}

/** A date far outside what `Date` can hold counts as missing rather than breaking the error message. */
const finite = (v: unknown) => (typeof v === "number" && Math.abs(v) < 8.64e12 ? v : undefined);

/** Tenant GUIDs are compared without case, as Entra ID treats them. */
const audienceMatches = (aud: unknown, endpoints: string[]) => {
  const wanted = endpoints.map((e) => e.toLowerCase());
  const matches = (a: unknown) => typeof a === "string" && wanted.includes(a.toLowerCase());
  return Array.isArray(aud) ? aud.some(matches) : matches(aud);
};

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
