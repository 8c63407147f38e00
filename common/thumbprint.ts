import { createHash } from "node:crypto";
import { type CertificateInput, certificateOf } from "./certificate";

export interface Thumbprints {
  /** SHA-1 of the certificate's DER, uppercase hex: what the Azure portal shows and keyCredentials' customKeyIdentifier. */
  sha1: string;
  /** SHA-256 of the certificate's DER, uppercase hex. */
  sha256: string;
}

/** Both thumbprints, computed by node:crypto from the DER. */
export function thumbprints(cert: CertificateInput): Thumbprints {
  const x509 = certificateOf(cert);
  return { sha1: hexOf(x509.fingerprint), sha256: hexOf(x509.fingerprint256) };
}

/**
 * A thumbprint as a JOSE header carries it: `x5t` (SHA-1) or `x5t#S256`
 * (SHA-256), base64url of the digest of the DER (RFC 7515 §4.1.7-8).
 */
export function x5t(cert: CertificateInput, algorithm: "sha1" | "sha256" = "sha1"): string {
  return createHash(algorithm).update(certificateOf(cert).raw).digest("base64url");
}

/**
 * A thumbprint as people paste it (any case, with colons or spaces, as
 * certutil and openssl print it) in the uppercase hex form used here.
 */
export const normalizeThumbprint = (text: string) => text.replace(/[:\s]/g, "").toUpperCase();

// node:crypto prints fingerprints as colon-separated uppercase pairs.
const hexOf = (fingerprint: string) => fingerprint.replaceAll(":", "").toUpperCase();
