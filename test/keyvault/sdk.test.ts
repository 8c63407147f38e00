import { constants, createHash, verify, X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVault, type TestVault, type VaultIdentity } from "../support/keyvault";

const policy = (exportable: boolean) => ({
  issuerName: "Self",
  subject: "CN=sdk test",
  keyType: "RSA" as const,
  keySize: 2048,
  exportable,
  reuseKey: false,
  validityInMonths: 3,
  enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
  keyUsage: ["digitalSignature" as const],
});

describe("the local Key Vault with the real Azure SDKs", () => {
  let t: TestVault;
  let officer: VaultIdentity;
  let signer: VaultIdentity;
  beforeAll(async () => {
    t = await startVault();
    officer = await t.identity(["Key Vault Certificates Officer"]);
    signer = await t.identity(["Key Vault Crypto User"]);
  });
  afterAll(() => t?.stop());

  it("creates a self-signed certificate, and a Crypto User signs with its key (PS256 and RS256)", async () => {
    const certificates = t.certificateClient(officer);
    const poller = await certificates.beginCreateCertificate("sdk-cert", policy(false));
    const created = await poller.pollUntilDone();
    expect(created.properties.version).toMatch(/^[0-9a-f]{32}$/);
    const cert = new X509Certificate(Buffer.from(created.cer ?? new Uint8Array()));
    expect(cert.subject).toBe("CN=sdk test");
    expect(created.keyId).toBe(`${t.vault.vaultUrl}/keys/sdk-cert/${created.properties.version}`);

    const key = await t.keyClient(signer).getKey("sdk-cert", { version: created.properties.version });
    expect(
      key.key?.n &&
        Buffer.from(key.key.n).equals(Buffer.from(cert.publicKey.export({ format: "jwk" }).n ?? "", "base64url")),
    ).toBe(true);

    const crypto = t.cryptographyClient(signer, created.keyId ?? "");
    const digest = createHash("sha256").update("header.claims").digest();
    const pss = await crypto.sign("PS256", digest);
    expect(
      verify(
        "sha256",
        Buffer.from("header.claims"),
        { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        Buffer.from(pss.result),
      ),
    ).toBe(true);
    const rs = await crypto.sign("RS256", digest);
    expect(verify("sha256", Buffer.from("header.claims"), cert.publicKey, Buffer.from(rs.result))).toBe(true);
  });
});
