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

  it("diffs name and keyVaultId as replacements and the policy as an update", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("diff");
    const state = (await provider.create(base)).outputs;
    expect(provider.diff(base, state, base)).toEqual({ changed: [], replace: [] });
    expect(provider.diff(base, state, inputs("other"))).toEqual({ changed: ["name"], replace: ["name"] });
    const moved = inputs("diff", { keyVaultId: localVaultId("another") });
    expect(provider.diff(base, state, moved)).toEqual({ changed: ["keyVaultId"], replace: ["keyVaultId"] });
    const policy = inputs("diff");
    ((policy.certificatePolicy as PlainMap).keyProperties as PlainMap).keySize = 4096;
    expect(provider.diff(base, state, policy)).toEqual({ changed: ["certificatePolicy"], replace: [] });
  });

  it("diffs the new inputs against the prior state, as the bridge does, not against the old inputs", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("against-state");
    const state = (await provider.create(base)).outputs;
    // The vault's policy changed since (in the portal, then `pulumi refresh`): the unchanged program puts it back.
    const drifted = structuredClone(state);
    ((drifted.certificatePolicy as PlainMap).keyProperties as PlainMap).exportable = true;
    expect(provider.diff(base, drifted, base)).toEqual({ changed: ["certificatePolicy"], replace: [] });
    // Old inputs that differ from what the state holds are no change when the new inputs match the state.
    const oldInputs = inputs("against-state", { tags: { team: "a" } });
    expect(provider.diff(oldInputs, state, base)).toEqual({ changed: [], replace: [] });
  });

  it("holds as unchanged what the schema computes, the order of a set and empty tags, as the vault reads them back", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("read-back");
    const state = (await provider.create(base)).outputs;
    // The state has the vault's forms: a curve, subject alternative names and tags the program never wrote.
    expect((state.certificatePolicy as PlainMap).keyProperties).toHaveProperty("curve");
    const reordered = inputs("read-back");
    ((reordered.certificatePolicy as PlainMap).x509CertificateProperties as PlainMap).keyUsages = [
      "keyEncipherment",
      "digitalSignature",
    ];
    const twoUsages = structuredClone(state);
    ((twoUsages.certificatePolicy as PlainMap).x509CertificateProperties as PlainMap).keyUsages = [
      "digitalSignature",
      "keyEncipherment",
    ];
    expect(provider.diff(base, twoUsages, reordered)).toEqual({ changed: [], replace: [] });
    expect(provider.diff(base, state, { ...base, tags: {} })).toEqual({ changed: [], replace: [] });
    expect(provider.diff(base, state, { ...base, tags: { team: "a" } })).toEqual({ changed: ["tags"], replace: [] });
  });

  it("drops the differences under ignoreChanges, as the bridge does after the engine has kept the old inputs", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("ignored");
    const state = structuredClone((await provider.create(base)).outputs);
    // The vault reports the subject in its own form: the program's policy, ignored, is no change.
    ((state.certificatePolicy as PlainMap).x509CertificateProperties as PlainMap).subject = "CN = ignored";
    expect(provider.diff(base, state, base)).toEqual({ changed: ["certificatePolicy"], replace: [] });
    expect(provider.diff(base, state, base, ["certificatePolicy"])).toEqual({ changed: [], replace: [] });
    const renamed = inputs("renamed");
    expect(provider.diff(base, state, renamed, ["name"])).toEqual({ changed: ["certificatePolicy"], replace: [] });
  });

  it("updates against the prior state: a new version only when the policy differs from the vault's, outside lifetime actions", async () => {
    const provider = keyVaultCertificate(access, noWait);
    const base = inputs("update-state");
    const first = await provider.create(base);
    // Old inputs the state does not hold (another key size) and new inputs that match the state: no new version.
    const oldInputs = inputs("update-state");
    ((oldInputs.certificatePolicy as PlainMap).keyProperties as PlainMap).keySize = 4096;
    const tagged = await provider.update?.(
      { id: first.id, inputs: oldInputs, outputs: first.outputs },
      {
        ...base,
        tags: { team: "a" },
      },
    );
    expect(tagged?.id).toBe(first.id);
    expect(tagged?.outputs.tags).toEqual({ team: "a" });
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
