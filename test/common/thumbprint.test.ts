import { createHash, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pemBlocks, pemLabel, toPem } from "../../common/pem";
import { normalizeThumbprint, thumbprints, x5t } from "../../common/thumbprint";
import { sharedCertificate } from "../support/certificates";

describe("thumbprints and PEM", () => {
  it("computes SHA-1 and SHA-256 thumbprints as uppercase hex from PEM, DER or a parsed certificate", async () => {
    const { certificatePem } = await sharedCertificate();
    const der = new X509Certificate(certificatePem).raw;
    const expected = {
      sha1: createHash("sha1").update(der).digest("hex").toUpperCase(),
      sha256: createHash("sha256").update(der).digest("hex").toUpperCase(),
    };
    expect(thumbprints(certificatePem)).toEqual(expected);
    expect(thumbprints(der)).toEqual(expected);
    expect(thumbprints(new X509Certificate(der))).toEqual(expected);
  });

  it("gives the JOSE x5t and x5t#S256 forms: base64url of the digest", async () => {
    const { certificatePem } = await sharedCertificate();
    const { sha1, sha256 } = thumbprints(certificatePem);
    expect(x5t(certificatePem)).toBe(Buffer.from(sha1, "hex").toString("base64url"));
    expect(x5t(certificatePem, "sha256")).toBe(Buffer.from(sha256, "hex").toString("base64url"));
  });

  it("normalizes a pasted thumbprint: any case, colons and spaces", () => {
    expect(normalizeThumbprint("ab:cd ef\n01")).toBe("ABCDEF01");
  });

  it("finds PEM blocks and their labels, and writes DER as PEM with 64-character lines", async () => {
    const { certificatePem, privateKeyPem } = await sharedCertificate();
    const blocks = pemBlocks(`junk\n${certificatePem}\n${privateKeyPem}`);
    expect(blocks.map(pemLabel)).toEqual(["CERTIFICATE", "PRIVATE KEY"]);
    const der = new X509Certificate(certificatePem).raw;
    const pem = toPem("CERTIFICATE", der);
    expect(new X509Certificate(pem).raw.equals(der)).toBe(true);
    expect(pem.split("\n").every((l) => l.length <= 64 || l.startsWith("-----"))).toBe(true);
    expect(pemBlocks("no pem here")).toEqual([]);
    expect(pemLabel("nothing")).toBeUndefined();
  });
});
