import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { beforeAll, describe, expect, it } from "vitest";
import { CertificateApp } from "../../components/certificateApp";
import { defaults } from "../../components/defaults";
import { rotationDigest } from "../../components/rotation";
import { certificatePolicy } from "../../components/vaultCertificate";
import type { StateEntry } from "../support/mockEngine/engine";
import { firstOfType, importProgram, installEngine, ofType, outputsOf, promiseOf, types } from "../support/program";
import { expectNoSecrets } from "../support/secrets";

const keyVaultId =
  "/subscriptions/3fa85f64-5717-4562-b3fc-2c963f66afa6/resourceGroups/rg-auth/providers/Microsoft.KeyVault/vaults/kv-Entra-Cert";
const vaultHost = "https://kv-entra-cert.vault.azure.net";
/** The azure provider's subscription, the vault's: the program refuses any other at preview. */
const subscriptionId = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const privateOutputs = ["privateKeyPem", "certificatePfx", "pfxPassword"];

/** Every string anywhere in a value, secrets unwrapped (outputsOf resolves them to plain values). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** The PEM lines of every private key the test's vaults hold: what must appear in no output and no state. */
function vaultKeys(env: ReturnType<typeof installEngine>): string[] {
  return [...env.vaults.values()].flatMap((vault) =>
    [...vault.values()].map((o) => o.key.export({ format: "pem", type: "pkcs8" }).toString()),
  );
}

describe("the program in Key Vault mode", () => {
  let program: Awaited<ReturnType<typeof importProgram>>;
  let env: ReturnType<typeof installEngine>;
  let outputs: Record<string, unknown>;
  let checkpoint: StateEntry[];

  beforeAll(async () => {
    env = installEngine({ config: { keyVaultId, "azure:subscriptionId": subscriptionId } });
    program = await importProgram();
    outputs = await outputsOf(program);
    checkpoint = await env.engine.finish();
  });

  it("exports the vault's key and certificate ids, and no private key, PFX or password", () => {
    for (const name of privateOutputs) expect(Object.keys(outputs), name).not.toContain(name);
    expect(outputs.keyVaultSecretId).toBeUndefined();
    const cert = firstOfType(env.engine, types.vaultCertificate);
    expect(outputs.keyVaultCertificateId).toBe(cert.id);
    expect(outputs.keyVaultCertificateId).toMatch(
      new RegExp(`^${vaultHost}/certificates/entra-cert-auth-test-client-[0-9a-f]{12}/[0-9a-f]{32}$`),
    );
    expect(outputs.keyVaultKeyId).toBe(String(cert.id).replace("/certificates/", "/keys/"));
  });

  it("holds the vault's private key in no output and nowhere in the state", () => {
    const keys = vaultKeys(env);
    expect(keys).toHaveLength(1);
    expectNoSecrets(strings(outputs).join("\n"), keys);
    expectNoSecrets(JSON.stringify(checkpoint), keys);
    expect(ofType(env.engine, types.privateKey)).toEqual([]);
    expect(ofType(env.engine, types.selfSignedCert)).toEqual([]);
    expect(ofType(env.engine, types.password)).toEqual([]);
  });

  it("generates the certificate in the vault with a self-issued, non-exportable policy that never renews itself", () => {
    const cert = firstOfType(env.engine, types.vaultCertificate);
    expect(cert.inputs.keyVaultId).toBe(keyVaultId);
    expect(cert.inputs.certificatePolicy).toEqual({
      issuerParameters: { name: "Self" },
      keyProperties: { keyType: "RSA", keySize: 2048, exportable: false, reuseKey: false },
      secretProperties: { contentType: "application/x-pkcs12" },
      x509CertificateProperties: {
        subject: "CN=entra-cert-auth-client",
        validityInMonths: 12,
        extendedKeyUsages: ["1.3.6.1.5.5.7.3.2"],
        keyUsages: ["digitalSignature"],
      },
      lifetimeActions: [{ action: { actionType: "EmailContacts" }, trigger: { lifetimePercentage: 80 } }],
    });
    expect(cert.options.ignoreChanges).toEqual(["certificatePolicy", "name"]);
    const x509 = new X509Certificate(String(outputs.certificatePem));
    expect(x509.subject).toBe("CN=entra-cert-auth-client");
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("attaches the vault certificate as hex, with the certificate's own dates to the second", () => {
    const cert = firstOfType(env.engine, types.vaultCertificate);
    const cred = firstOfType(env.engine, types.certificate);
    const [attributes] = cert.outputs.certificateAttributes as { notBefore: string; expires: string }[];
    expect(cred.inputs).toMatchObject({
      type: "AsymmetricX509Cert",
      encoding: "hex",
      value: cert.outputs.certificateData,
      startDate: attributes?.notBefore,
      endDate: attributes?.expires,
    });
    expect(cred.options.deleteBeforeReplace).toBe(false);
    expect(cred.inputs.keyId).toBeUndefined();
    const x509 = new X509Certificate(String(outputs.certificatePem));
    expect(x509.raw.toString("hex").toUpperCase()).toBe(cert.outputs.certificateData);
    expect(outputs.thumbprint).toBe(cert.outputs.thumbprint);
    expect(outputs.certificateNotAfter).toBe(attributes?.expires);
    const app = env.admin.state.applications.find((a) => a.appId === outputs.clientId);
    expect(app?.keyCredentials.map((k) => [k.keyId, k.customKeyIdentifier])).toEqual([
      [outputs.keyId, outputs.thumbprint],
    ]);
  });

  it("names the vault certificate by stack and generation, parented to the component, and remembers its vault", () => {
    const component = env.engine.registered.find((r) => r.type === "entra-cert-auth:index:CertificateApp");
    const cert = firstOfType(env.engine, types.vaultCertificate);
    const generation = cert.name.replace("client-vault-cert-", "");
    expect(generation).toMatch(/^[0-9a-f]{12}$/);
    expect(cert.inputs.name).toBe(`entra-cert-auth-test-client-${generation}`);
    expect(cert.options.parent).toBe(component?.urn);
    expect(firstOfType(env.engine, types.certificate).name).toBe(`client-credential-${generation}`);
    expect(outputs.rotationState).toEqual({
      current: { id: generation, rotation: rotationDigest("1"), certificatePem: outputs.certificatePem, keyVaultId },
    });
  });

  it("keeps every other output of the contract", () => {
    for (const name of ["tenantId", "clientId", "authority", "scope", "apiClientId", "expectedRoles", "keyId"])
      expect(outputs[name], name).toBeTruthy();
    expect(outputs.attachedCertificates).toEqual([
      {
        thumbprint: outputs.thumbprint,
        thumbprintSha256: outputs.thumbprintSha256,
        notAfter: outputs.certificateNotAfter,
      },
    ]);
  });
});

describe("Key Vault mode's outputs as the stack records them", () => {
  it("leaves the undefined private key, PFX and password out of the stack's outputs", async () => {
    const env = installEngine({ config: { keyVaultId, "azure:subscriptionId": subscriptionId } });
    // The SDK's own root: what `pulumi up` registers as the stack's outputs (runtime/stack.ts, massage).
    const recorded = await runInPulumiStack(() => importProgram());
    await env.engine.settled();
    const root = [...env.engine.getRegisteredResources().values()].find((r) => r.urn.includes("pulumi:pulumi:Stack"));
    const state = root?.state as unknown as { toJavaScript(): Record<string, unknown> };
    const names = Object.keys(state.toJavaScript());
    expect(names).toEqual(expect.arrayContaining(["keyVaultKeyId", "keyVaultCertificateId", "certificatePem"]));
    for (const name of [...privateOutputs, "keyVaultSecretId"]) expect(names, name).not.toContain(name);
    expect(recorded).toBeDefined();
  });
});

describe("an exportable vault key", () => {
  it("is asked for only with keyVaultExportable, and then the secret id is exported", async () => {
    const env = installEngine();
    const app = new CertificateApp("exp", { keyVaultId, keyVaultExportable: true });
    const secretId = await promiseOf(app.keyVaultSecretId);
    await env.engine.settled();
    const cert = firstOfType(env.engine, types.vaultCertificate, "exp");
    expect((cert.inputs.certificatePolicy as { keyProperties: unknown }).keyProperties).toMatchObject({
      exportable: true,
    });
    expect(secretId).toBe(cert.outputs.secretId);
    expect(secretId).toMatch(new RegExp(`^${vaultHost}/secrets/entra-cert-auth-test-exp-[0-9a-f]{12}/[0-9a-f]{32}$`));
    expect(app.privateKeyPem).toBeUndefined();
    expect(await pulumi.isSecret(app.certificatePem)).toBe(false);
  });

  it("is not exportable by default, and the policy follows key size, subject and validity", () => {
    const policy = certificatePolicy({ ...defaults, keyVaultId });
    expect(policy.keyProperties).toMatchObject({ exportable: false, reuseKey: false });
    const custom = certificatePolicy({
      ...defaults,
      keyVaultId,
      keySize: 4096,
      certificateSubject: "orders, eu+west",
      validityDays: 90,
    });
    expect(custom.keyProperties).toMatchObject({ keySize: 4096 });
    expect(custom.x509CertificateProperties).toMatchObject({ subject: 'CN="orders, eu+west"', validityInMonths: 3 });
  });

  it("makes a certificate whose one common name is a display name with a comma", async () => {
    const env = installEngine();
    const app = new CertificateApp("comma", { keyVaultId, displayName: "Orders, Inc." });
    const pem = await promiseOf(app.certificatePem);
    await env.engine.settled();
    // The quoted value read as one common name (RFC 2253, as the local vaults parse it); Node prints its comma escaped.
    expect(new X509Certificate(pem).subject).toBe("CN=Orders\\, Inc.");
  });
});

describe("without keyVaultId", () => {
  it("makes nothing in Key Vault and exports no vault ids, the private key, PFX and password as before", async () => {
    const env = installEngine();
    const program = await importProgram();
    const outputs = await outputsOf(program);
    await env.engine.settled();
    expect(ofType(env.engine, types.vaultCertificate)).toEqual([]);
    expect(env.vaults.size).toBe(0);
    for (const name of ["keyVaultKeyId", "keyVaultCertificateId", "keyVaultSecretId"])
      expect(Object.keys(outputs), name).not.toContain(name);
    for (const name of privateOutputs) expect(Object.keys(outputs), name).toContain(name);
    expect(firstOfType(env.engine, types.certificate).inputs.encoding).toBe("pem");
    expect((outputs.rotationState as { current: object }).current).not.toHaveProperty("keyVaultId");
  });
});
