import { createHash, X509Certificate } from "node:crypto";
import { Agent } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../../rehearsal/engine/provider";
import type { PlainMap } from "../../../rehearsal/engine/wire";
import type { VaultAccess } from "../../../rehearsal/providers/context";
import { keyVaultCertificate, localVaultId, VaultError } from "../../../rehearsal/providers/keyVault";
import { startVault, type TestVault, type VaultIdentity, vaultResource } from "../../support/keyvault";

const keyVaultId = localVaultId("provider test");

/** The inputs the program sends (components/), with the policy's flattened blocks as the bridge has them. */
const inputs = (name: string, overrides: Partial<PlainMap> = {}): PlainMap => ({
  name,
  keyVaultId,
  certificatePolicy: {
    issuerParameters: { name: "Self" },
    keyProperties: { exportable: false, keySize: 2048, keyType: "RSA", reuseKey: false },
    lifetimeActions: [{ action: { actionType: "EmailContacts" }, trigger: { daysBeforeExpiry: 30 } }],
    secretProperties: { contentType: "application/x-pkcs12" },
    x509CertificateProperties: {
      subject: "CN=provider test",
      validityInMonths: 3,
      keyUsages: ["digitalSignature"],
      extendedKeyUsages: ["1.3.6.1.5.5.7.3.2"],
    },
  },
  ...overrides,
});

describe("azure:keyvault/certificate:Certificate against the local Key Vault", () => {
  let t: TestVault;
  let deployer: VaultIdentity;
  let access: VaultAccess;
  const noWait = async () => undefined;
  beforeAll(async () => {
    t = await startVault();
    deployer = await t.identity(["Key Vault Certificates Officer"]);
    const credential = t.credential(deployer);
    access = {
      vaultUrl: (id) => (id === keyVaultId ? t.vault.vaultUrl : undefined),
      agent: new Agent({ ca: t.caBundle }),
      token: async () => (await credential.getToken(`${vaultResource}/.default`)).token,
    };
  });
  afterAll(() => t?.stop());

  it("creates a certificate and reads it back in the provider's shapes: upper-case hex DER, its thumbprint, versioned ids", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const created = await provider.create(inputs("shapes"));
    const o = created.outputs;
    expect(created.id).toMatch(new RegExp(`^${t.vault.vaultUrl}/certificates/shapes/[0-9a-f]{32}$`));
    expect(o.version).toBe(created.id.split("/").pop());
    expect(o.versionlessId).toBe(`${t.vault.vaultUrl}/certificates/shapes`);
    expect(String(o.certificateData)).toMatch(/^[0-9A-F]+$/);
    const der = Buffer.from(String(o.certificateData), "hex");
    expect(o.certificateDataBase64).toBe(der.toString("base64"));
    expect(o.thumbprint).toBe(createHash("sha1").update(der).digest("hex").toUpperCase());
    const certificate = new X509Certificate(der);
    expect(certificate.subject).toBe("CN=provider test");
    const attributes = (o.certificateAttributes as PlainMap[])[0] ?? {};
    // Go's time.Format(time.RFC3339) of the vault's Unix seconds: to the second, Z.
    expect(attributes.expires).toBe(new Date(certificate.validTo).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(attributes.notBefore).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(o.resourceManagerId).toBe(`${keyVaultId}/certificates/shapes/versions/${o.version}`);
    expect((o.certificatePolicy as PlainMap).keyProperties).toMatchObject({ exportable: false, keySize: 2048 });
  });

  it("refuses to create over a certificate that already exists: it would have to be imported", async () => {
    const provider = keyVaultCertificate(access, noWait);
    await provider.create(inputs("taken"));
    await expect(provider.create(inputs("taken"))).rejects.toThrow(/already exists in the vault; .*imported/);
  });

  it("makes a new version when the policy changes and patches when only the lifetime actions change", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const first = await provider.create(inputs("versions"));
    const prior = { id: first.id, inputs: inputs("versions"), outputs: first.outputs };
    const lifetime = inputs("versions");
    (lifetime.certificatePolicy as PlainMap).lifetimeActions = [
      { action: { actionType: "EmailContacts" }, trigger: { daysBeforeExpiry: 10 } },
    ];
    const patched = await provider.update?.(prior, lifetime);
    expect(patched?.id).toBe(first.id);
    const bigger = inputs("versions");
    ((bigger.certificatePolicy as PlainMap).keyProperties as PlainMap).keySize = 3072;
    const renewed = await provider.update?.(prior, bigger);
    expect(renewed?.id).not.toBe(first.id);
    expect(renewed?.outputs.certificateData).not.toBe(first.outputs.certificateData);
  });

  it("deletes and purges, so the name can be used again", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const created = await provider.create(inputs("recycled"));
    await provider.delete({ id: created.id, inputs: inputs("recycled"), outputs: created.outputs });
    const again = await provider.create(inputs("recycled"));
    expect(again.id).not.toBe(created.id);
  });

  it("diffs name and keyVaultId as replacements and the policy as an update", () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("diff");
    expect(provider.diff(base, {}, inputs("other"))).toEqual({ changed: ["name"], replace: ["name"] });
    const policy = inputs("diff");
    ((policy.certificatePolicy as PlainMap).keyProperties as PlainMap).keySize = 4096;
    expect(provider.diff(base, {}, policy)).toEqual({ changed: ["certificatePolicy"], replace: [] });
  });

  it("checks the inputs as the azurerm schema does, naming the field and never the value", () => {
    const provider = keyVaultCertificate(access, noWait);
    const secret = "-----BEGIN PRIVATE KEY-----MIIEvQ";
    for (const bad of [
      inputs("has space"),
      inputs("ok", { keyVaultId: secret }),
      inputs("ok", { certificatePolicy: null }),
      inputs("ok", { certificate: { contents: secret } }),
    ]) {
      if (bad.name === "has space") bad.name = `bad name ${secret}`;
      let message = "";
      try {
        provider.check(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(ProviderError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^azure keyvault Certificate: /);
      expect(message.includes(secret)).toBe(false);
    }
  });

  it("fails with the vault's own code when the deploying identity may not manage certificates", async () => {
    const reader = await t.identity([]);
    const credential = t.credential(reader);
    const provider = keyVaultCertificate(
      { ...access, token: async () => (await credential.getToken(`${vaultResource}/.default`)).token },
      noWait,
    );
    const err = await provider.create(inputs("forbidden")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).status).toBe(403);
    expect((err as VaultError).vaultCode).toBe("Forbidden");
  });

  it("says the vault cannot be reached when keyVaultId names a vault it does not know", async () => {
    const provider = keyVaultCertificate(access, noWait);
    await expect(provider.create(inputs("nowhere", { keyVaultId: localVaultId("another") }))).rejects.toThrow(
      /keyVaultId names a vault that does not exist or that the deploying identity cannot see/,
    );
  });
});
