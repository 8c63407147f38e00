import { X509Certificate } from "node:crypto";

/**
 * RFC3339 truncated to whole seconds. The tls provider reports nanoseconds;
 * a credential end date with them would pass the certificate's notAfter
 * (Graph answers KeyCredentialsInvalidEndDate) and would differ on every run,
 * and every ApplicationCertificate field forces replacement.
 */
export function toWholeSeconds(rfc3339: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!match) throw new TypeError(`not an RFC3339 timestamp: ${rfc3339}`);
  return new Date(`${match[1]}${match[2]}`).toISOString().replace(".000Z", "Z");
}

/** A certificate's validity as RFC3339 in whole seconds. */
export function validityOf(certificatePem: string): { notBefore: string; notAfter: string } {
  const cert = new X509Certificate(certificatePem);
  return {
    notBefore: toWholeSeconds(new Date(cert.validFrom).toISOString()),
    notAfter: toWholeSeconds(new Date(cert.validTo).toISOString()),
  };
}
