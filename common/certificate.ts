import { X509Certificate } from "node:crypto";

/** A certificate as PEM text, DER bytes, or already parsed. */
export type CertificateInput = string | Buffer | X509Certificate;

/** Parses a certificate given as PEM or DER; node:crypto throws on anything else. */
export const certificateOf = (cert: CertificateInput): X509Certificate =>
  cert instanceof X509Certificate ? cert : new X509Certificate(cert);

/**
 * The certificate a PEM (its first CERTIFICATE block) or DER holds, or undefined when it does not parse as X.509:
 * for checks that report a problem of their own rather than node:crypto's error.
 */
export function parseCertificate(input: string | Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(input);
  } catch {
    return undefined;
  }
}

/** Whether a PEM or DER parses as an X.509 certificate. */
export const isCertificate = (input: string | Buffer): boolean => parseCertificate(input) !== undefined;
