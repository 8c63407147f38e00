import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildPfx, pkcs12Kdf } from "../../components/pfx";
import { makeCertificate } from "../support/certificates";
import { openPfx } from "./openPfx";

describe("buildPfx", async () => {
  const client = await makeCertificate({ subject: "CN=pfx client" });

  it.each(["aes256", "legacy3des"] as const)(
    "writes a %s PFX that openssl opens, its key matching its certificate",
    async (encryption) => {
      const pfx = await buildPfx(client.certificatePem, client.privateKeyPem, "s3cret-ü", encryption);
      const opened = openPfx(pfx, "s3cret-ü");
      expect(new X509Certificate(opened.certificatePem).fingerprint256).toBe(
        new X509Certificate(client.certificatePem).fingerprint256,
      );
      expect(opened.keyMatchesCertificate).toBe(true);
      expect(opened.encryption).toMatch(
        encryption === "aes256"
          ? /MAC: sha256, Iteration 2048[\s\S]*PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/
          : /MAC: sha1, Iteration 2048[\s\S]*pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048/,
      );
    },
  );

  it("is stable for the same key, certificate and password, and changes with the password", async () => {
    const a = await buildPfx(client.certificatePem, client.privateKeyPem, "one");
    expect(await buildPfx(client.certificatePem, client.privateKeyPem, "one")).toBe(a);
    expect(await buildPfx(client.certificatePem, client.privateKeyPem, "two")).not.toBe(a);
  });

  it("does not open with a wrong password", async () => {
    const pfx = await buildPfx(client.certificatePem, client.privateKeyPem, "right");
    expect(() => openPfx(pfx, "wrong")).toThrow();
  });

  it("takes a PKCS#1 key as the tls provider writes it", async () => {
    const pkcs1 = createPrivateKey(client.privateKeyPem).export({ format: "pem", type: "pkcs1" }).toString();
    expect(openPfx(await buildPfx(client.certificatePem, pkcs1, "p"), "p").keyMatchesCertificate).toBe(true);
  });
});

describe("pkcs12Kdf", () => {
  it("derives longer outputs as prefixes of the same stream, distinct per purpose", () => {
    const salt = Buffer.from("0a58cf64530d823f", "hex");
    const key = pkcs12Kdf("smeg", salt, 1, 24);
    expect(key).toHaveLength(24);
    expect(pkcs12Kdf("smeg", salt, 1, 40).subarray(0, 24)).toEqual(key);
    expect(pkcs12Kdf("smeg", salt, 2, 8)).not.toEqual(key.subarray(0, 8));
  });
});
