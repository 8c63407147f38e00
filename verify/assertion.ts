import { constants, createHash, randomUUID, verify, type X509Certificate } from "node:crypto";
import { CodedError } from "../common/errors";
import { x5t } from "../common/thumbprint";

/** The two algorithms Entra ID takes for a certificate's client assertion. */
export type AssertionAlgorithm = "PS256" | "RS256";

/** Signs a SHA-256 digest with the client's key, wherever it lives (Key Vault's `sign`). */
export type DigestSigner = (algorithm: AssertionAlgorithm, digest: Uint8Array) => Promise<Uint8Array>;

export interface AssertionRequest {
  clientId: string;
  /** The token endpoint the assertion will be posted to (msal-node passes it to the assertion callback). */
  audience: string;
  certificate: X509Certificate;
  /** sha256: PS256 with `x5t#S256` (what msal-node sends for `thumbprintSha256`); sha1: RS256 with `x5t`. */
  thumbprint: "sha256" | "sha1";
  /** Epoch milliseconds. */
  now: number;
  /** For tests; a fresh UUID otherwise. */
  jti?: string;
}

/** How long an assertion is good for: msal-node's own is 10 minutes (msal-node `ClientAssertion.ts`, expirationTime = 600). */
export const assertionLifetimeSeconds = 600;

export const algorithmFor = (thumbprint: "sha256" | "sha1"): AssertionAlgorithm =>
  thumbprint === "sha256" ? "PS256" : "RS256";

/** The JOSE header, as msal-node writes it for a certificate (msal-node `ClientAssertion.ts`, `createJwt`). */
export function assertionHeader(certificate: X509Certificate, thumbprint: "sha256" | "sha1"): Record<string, string> {
  return thumbprint === "sha256"
    ? { alg: "PS256", typ: "JWT", "x5t#S256": x5t(certificate, "sha256") }
    : { alg: "RS256", typ: "JWT", x5t: x5t(certificate, "sha1") };
}

/** The claims of a client assertion (RFC 7523 §3; Entra ID's "certificate credentials" page). */
export function assertionClaims(req: AssertionRequest): Record<string, string | number> {
  const now = Math.floor(req.now / 1000);
  return {
    aud: req.audience,
    iss: req.clientId,
    sub: req.clientId,
    jti: req.jti ?? randomUUID(),
    nbf: now,
    iat: now,
    exp: now + assertionLifetimeSeconds,
  };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A client assertion signed by `sign`, which gets only the SHA-256 digest of
 * the signing input (header.claims), as Key Vault's sign operation takes it.
 * The signature is checked against the certificate's public key before the
 * assertion is handed on: a vault that signed with another key, or with the
 * wrong PSS salt length, fails here with a clear reason rather than as an
 * AADSTS error from the authority.
 */
export async function signedAssertion(req: AssertionRequest, sign: DigestSigner): Promise<string> {
  const algorithm = algorithmFor(req.thumbprint);
  const input = `${b64url(assertionHeader(req.certificate, req.thumbprint))}.${b64url(assertionClaims(req))}`;
  const digest = createHash("sha256").update(input).digest();
  const signature = Buffer.from(await sign(algorithm, digest));
  if (!verifies(req.certificate, algorithm, input, signature)) throw new SignatureMismatchError();
  return `${input}.${signature.toString("base64url")}`;
}

/** Whether `signature` is the certificate key's JWS signature of `input` (PS256: PSS, MGF1-SHA256, 32-byte salt). */
export function verifies(
  certificate: X509Certificate,
  algorithm: AssertionAlgorithm,
  input: string,
  signature: Uint8Array,
): boolean {
  const key =
    algorithm === "PS256"
      ? { key: certificate.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : { key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING };
  try {
    return verify("sha256", Buffer.from(input), key, signature);
  } catch {
    return false;
  }
}

/** A signature the certificate's key does not verify. */
export class SignatureMismatchError extends CodedError {
  static override readonly code = "ERR_SIGNATURE_MISMATCH";
  constructor() {
    super("the signature does not verify with the certificate's public key");
  }
}
