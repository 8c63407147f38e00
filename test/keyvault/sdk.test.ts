import { constants, createHash, verify, X509Certificate } from "node:crypto";
import type { CertificatePolicy } from "@azure/keyvault-certificates";
import { describe, expect, it } from "vitest";
import { vaultForFile } from "../support/keyvault";

const policy = (exportable: boolean, overrides: Partial<CertificatePolicy> = {}): CertificatePolicy => ({
  issuerName: "Self",
  subject: "CN=sdk test",
  keyType: "RSA",
  keySize: 2048,
  exportable,
  reuseKey: false,
  validityInMonths: 3,
  enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
  keyUsage: ["digitalSignature"],
  ...overrides,
});

const signingInput = Buffer.from("eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0");
const digest = createHash("sha256").update(signingInput).digest();

describe("the local Key Vault with the real Azure SDKs (@azure/keyvault-certificates, @azure/keyvault-keys, @azure/identity)", () => {
  const v = vaultForFile(async (t) => ({
    officer: await t.identity(["Key Vault Certificates Officer"]),
    signer: await t.identity(["Key Vault Crypto User"]),
  }));

  it("creates a self-signed certificate from the policy, and a Crypto User signs with its key (PS256 and RS256)", async () => {
    const certificates = v.t.certificateClient(v.officer);
    const created = await (
      await certificates.beginCreateCertificate("sdk-cert", policy(false, { keySize: 3072 }))
    ).pollUntilDone();
    const version = created.properties.version ?? "";
    expect(version).toMatch(/^[0-9a-f]{32}$/);
    expect(created.keyId).toBe(`${v.t.vault.vaultUrl}/keys/sdk-cert/${version}`);
    const cert = new X509Certificate(Buffer.from(created.cer ?? new Uint8Array()));
    expect(cert.subject).toBe("CN=sdk test");
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    const months = (new Date(cert.validTo).getTime() - Date.now()) / (30.4 * 86_400_000);
    expect(months).toBeGreaterThan(2.9);
    expect(months).toBeLessThan(3.1);
    expect(created.policy?.exportable).toBe(false);
    expect(Buffer.from(created.properties.x509Thumbprint ?? []).toString("hex")).toBe(
      createHash("sha1").update(cert.raw).digest("hex"),
    );

    const key = await v.t.keyClient(v.signer).getKey("sdk-cert", { version });
    expect(key.key?.kty).toBe("RSA");
    expect(key.key?.d).toBeUndefined();
    expect(Buffer.from(key.key?.n ?? new Uint8Array()).toString("base64url")).toBe(
      cert.publicKey.export({ format: "jwk" }).n,
    );

    const crypto = v.t.cryptographyClient(v.signer, created.keyId ?? "");
    const pss = await crypto.sign("PS256", digest);
    expect(pss.keyID).toBe(created.keyId);
    const pssKey = { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify("sha256", signingInput, pssKey, Buffer.from(pss.result))).toBe(true);
    const rs = await crypto.sign("RS256", digest);
    expect(verify("sha256", signingInput, cert.publicKey, Buffer.from(rs.result))).toBe(true);
  });

  it("reads the latest version and each version, and lists versions and certificates", async () => {
    const certificates = v.t.certificateClient(v.officer);
    const first = await (await certificates.beginCreateCertificate("sdk-versions", policy(false))).pollUntilDone();
    const second = await (await certificates.beginCreateCertificate("sdk-versions", policy(false))).pollUntilDone();
    expect(second.properties.version).not.toBe(first.properties.version);
    expect((await certificates.getCertificate("sdk-versions")).properties.version).toBe(second.properties.version);
    const old = await certificates.getCertificateVersion("sdk-versions", first.properties.version ?? "");
    expect(Buffer.from(old.cer ?? []).equals(Buffer.from(first.cer ?? []))).toBe(true);
    const versions: string[] = [];
    for await (const p of certificates.listPropertiesOfCertificateVersions("sdk-versions"))
      versions.push(p.version ?? "");
    expect(versions.sort()).toEqual([first.properties.version, second.properties.version].sort());
    const names: string[] = [];
    for await (const p of certificates.listPropertiesOfCertificates()) names.push(p.name ?? "");
    expect(names).toContain("sdk-versions");
  });

  it("soft-deletes a certificate, keeps its name taken (409 Conflict) until it is purged, then creates it anew", async () => {
    const certificates = v.t.certificateClient(v.officer);
    await (await certificates.beginCreateCertificate("sdk-deleted", policy(false))).pollUntilDone();
    const deleted = await (await certificates.beginDeleteCertificate("sdk-deleted")).pollUntilDone();
    expect(deleted.recoveryId).toBe(`${v.t.vault.vaultUrl}/deletedcertificates/sdk-deleted`);
    expect(deleted.deletedOn).toBeInstanceOf(Date);
    expect(deleted.scheduledPurgeDate?.getTime()).toBe((deleted.deletedOn?.getTime() ?? 0) + 90 * 86_400_000);
    expect((await certificates.getDeletedCertificate("sdk-deleted")).name).toBe("sdk-deleted");
    await expect(certificates.getCertificate("sdk-deleted")).rejects.toMatchObject({
      statusCode: 404,
      code: "CertificateNotFound",
    });
    await expect(certificates.beginCreateCertificate("sdk-deleted", policy(false))).rejects.toMatchObject({
      statusCode: 409,
      code: "Conflict",
    });
    await certificates.purgeDeletedCertificate("sdk-deleted");
    await expect(certificates.getDeletedCertificate("sdk-deleted")).rejects.toMatchObject({ statusCode: 404 });
    const again = await (await certificates.beginCreateCertificate("sdk-deleted", policy(false))).pollUntilDone();
    expect(again.properties.version).toMatch(/^[0-9a-f]{32}$/);
  });

  it("makes a certificate for other tests in one call (test support createCertificate), with versioned ids", async () => {
    const made = await v.t.createCertificate("support-made");
    const version = made.certificateId.split("/").at(-1);
    expect(made.certificateId).toBe(`${v.t.vault.vaultUrl}/certificates/support-made/${version}`);
    expect(made.keyId).toBe(`${v.t.vault.vaultUrl}/keys/support-made/${version}`);
    expect(made.secretId).toBe(`${v.t.vault.vaultUrl}/secrets/support-made/${version}`);
    const signed = await v.t.cryptographyClient(v.signer, made.keyId).sign("RS256", digest);
    expect(
      verify("sha256", signingInput, new X509Certificate(made.certificatePem).publicKey, Buffer.from(signed.result)),
    ).toBe(true);
  });

  it("refuses a signer without the sign permission with 403 ForbiddenByRbac, naming the dataAction", async () => {
    const created = await (
      await v.t.certificateClient(v.officer).beginCreateCertificate("sdk-forbidden", policy(false))
    ).pollUntilDone();
    // As the built-in role: certificates only, so the officer may neither read the key nor sign with it.
    await expect(v.t.keyClient(v.officer).getKey("sdk-forbidden")).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("Action: 'Microsoft.KeyVault/vaults/keys/read'"),
    });
    await expect(v.t.cryptographyClient(v.officer, created.keyId ?? "").sign("PS256", digest)).rejects.toMatchObject({
      statusCode: 403,
      code: "Forbidden",
      message: expect.stringContaining("Action: 'Microsoft.KeyVault/vaults/keys/sign/action'"),
    });
    const nobody = await v.t.identity([]);
    await expect(v.t.keyClient(nobody).getKey("sdk-forbidden")).rejects.toMatchObject({ statusCode: 403 });
    await expect(v.t.certificateClient(v.signer).getCertificate("sdk-forbidden")).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("Microsoft.KeyVault/vaults/certificates/read"),
    });
  });
});
