import { X509Certificate } from "node:crypto";

export interface Thumbprints {
  /** SHA-1 of the certificate DER, uppercase hex: what the Azure portal shows. */
  sha1: string;
  /** SHA-256 of the certificate DER, uppercase hex. */
  sha256: string;
}

/** Thumbprints of a PEM certificate, computed by node:crypto from its DER. */
export function thumbprints(certificatePem: string): Thumbprints {
  const cert = new X509Certificate(certificatePem);
  return { sha1: hex(cert.fingerprint), sha256: hex(cert.fingerprint256) };
}

// node prints fingerprints as colon-separated uppercase pairs.
const hex = (fingerprint: string) => fingerprint.replaceAll(":", "").toUpperCase();
