import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { certificateOf, isCertificate, parseCertificate } from "../../common/certificate";
import { sharedCertificate } from "../support/certificates";

describe("whether a text is a certificate", () => {
  it("parses a PEM certificate or its DER, and hands a parsed one back as it is", async () => {
    const { certificatePem } = await sharedCertificate();
    const parsed = new X509Certificate(certificatePem);
    expect(parseCertificate(certificatePem)?.fingerprint256).toBe(parsed.fingerprint256);
    expect(parseCertificate(parsed.raw)?.fingerprint256).toBe(parsed.fingerprint256);
    expect(certificateOf(parsed)).toBe(parsed);
    expect([isCertificate(certificatePem), isCertificate(parsed.raw)]).toEqual([true, true]);
  });

  it("says no, rather than throwing, for a private key, a damaged block or any other text", async () => {
    const { certificatePem, privateKeyPem } = await sharedCertificate();
    const damaged = certificatePem.replace(/\n[A-Za-z0-9+/]{10}/, "\n");
    for (const text of [privateKeyPem, damaged, "", "not a certificate", Buffer.from("abc")]) {
      expect(parseCertificate(text)).toBeUndefined();
      expect(isCertificate(text)).toBe(false);
    }
    expect(() => certificateOf("not a certificate")).toThrow();
  });
});
