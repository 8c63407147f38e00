import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defaults, type Settings } from "../../components/defaults";
import { readSettings } from "../../components/settings";
import { azureSubscriptionProblems, settingsProblems } from "../../components/validation";
import {
  hexOfPem,
  keyIdOfCertificate,
  parseKeyVaultId,
  pemOfHex,
  subjectOf,
  validityInMonths,
  vaultCertificateName,
} from "../../components/vault";
import { sharedCertificate } from "../support/certificates";
import { importProgram, installEngine } from "../support/program";
import { expectHolds } from "../support/secrets";

const keyVaultId =
  "/subscriptions/3fa85f64-5717-4562-b3fc-2c963f66afa6/resourceGroups/rg-auth/providers/Microsoft.KeyVault/vaults/kv-entra-cert";
const settings = (over: Partial<Settings>): Settings => ({ ...defaults, ...over });
// Text that could be a secret pasted into the wrong setting: no message may repeat it.
const pasted = "Zm9vYmFyLXNlY3JldC12YWx1ZS1wYXN0ZWQ";

describe("Key Vault settings", () => {
  it("are valid with a vault's ARM id, and without Key Vault at all", () => {
    expect(settingsProblems(settings({ keyVaultId }))).toEqual([]);
    expect(settingsProblems(settings({ keyVaultId, keyVaultExportable: true, keySize: 4096 }))).toEqual([]);
    expect(settingsProblems(defaults)).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ["a pasted value", pasted, /^keyVaultId is not the ARM id of a vault, \/subscriptions\/<subscription id>/],
    ["a vault URL", "https://kv-entra-cert.vault.azure.net/", /^keyVaultId is not the ARM id of a vault/],
    ["a trailing slash", `${keyVaultId}/`, /^keyVaultId is not the ARM id of a vault/],
    [
      "another resource type",
      keyVaultId.replace("Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts"),
      /not the ARM id/,
    ],
    [
      "a subscription that is no GUID",
      keyVaultId.replace("3fa85f64-5717-4562-b3fc-2c963f66afa6", pasted),
      /^keyVaultId names a subscription that is not a GUID/,
    ],
    [
      "a resource group ending in a period",
      keyVaultId.replace("rg-auth", "rg."),
      /^keyVaultId names a resource group Azure would refuse/,
    ],
    [
      "a vault name starting with a digit",
      keyVaultId.replace("kv-entra-cert", "1vault"),
      /^keyVaultId names a vault Azure would refuse/,
    ],
    [
      "a vault name with two dashes",
      keyVaultId.replace("kv-entra-cert", "kv--cert"),
      /names a vault Azure would refuse/,
    ],
    [
      "a vault name ending with a dash",
      keyVaultId.replace("kv-entra-cert", "kv-cert-"),
      /names a vault Azure would refuse/,
    ],
    [
      "a vault name of 25 characters",
      keyVaultId.replace("kv-entra-cert", "a".repeat(25)),
      /names a vault Azure would refuse/,
    ],
  ])("refuses %s as keyVaultId in one line that never repeats it", (_what, value, message) => {
    const problems = settingsProblems(settings({ keyVaultId: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).not.toContain("\n");
    expectHolds(String(problems[0]), pasted, "the message repeats the value", false);
    expectHolds(String(problems[0]), value, "the message repeats the value", false);
  });

  it("refuses keyVaultExportable without keyVaultId, naming how to fix it", () => {
    expect(settingsProblems(settings({ keyVaultExportable: true }))).toEqual([
      "keyVaultExportable is set without keyVaultId: it applies only to keys kept in Key Vault; set keyVaultId or remove it with `pulumi config rm keyVaultExportable`",
    ]);
  });

  it("refuses a key size Key Vault does not create", () => {
    expect(settingsProblems(settings({ keyVaultId, keySize: 1024 }))).toEqual([
      "keySize 1024 is not supported by Key Vault: use one of 2048, 3072, 4096",
    ]);
  });

  it("refuses a brought certificate with keyVaultId, saying to import it into the vault or drop one", async () => {
    const brought = await sharedCertificate();
    const problems = settingsProblems(
      settings({ keyVaultId, certificatePem: brought.certificatePem, privateKeyPem: brought.privateKeyPem }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^certificatePem and privateKeyPem are set with keyVaultId: .*az keyvault certificate import.*or remove keyVaultId$/,
    );
    expectHolds(String(problems[0]), "PRIVATE KEY", "the message quotes the key", false);
  });

  it("refuses half a brought pair with keyVaultId too: the certificate alone, or the key alone", async () => {
    const brought = await sharedCertificate();
    const refusal = /^certificatePem and privateKeyPem are set with keyVaultId: /;
    for (const half of [{ certificatePem: brought.certificatePem }, { privateKeyPem: brought.privateKeyPem }])
      expect(settingsProblems(settings({ keyVaultId, ...half })).some((p) => refusal.test(p))).toBe(true);
  });

  it("refuses a PFX password in Key Vault mode, without repeating it", () => {
    const problems = settingsProblems(settings({ keyVaultId, pfxPassword: pasted }));
    expect(problems).toEqual([
      "pfxPassword is set with keyVaultId: Key Vault mode has no certificatePfx output; remove it with `pulumi config rm pfxPassword`",
    ]);
  });

  it("refuses a validity longer than Key Vault's 1200 months", () => {
    expect(settingsProblems(settings({ keyVaultId, validityDays: 36524 }))).toEqual([]);
    expect(settingsProblems(settings({ keyVaultId, validityDays: 36525 }))).toEqual([
      "validityDays 36525 is longer than Key Vault's longest validity, 1200 months: use at most 36524",
    ]);
  });

  it("reports every Key Vault problem at once, one line each", () => {
    const problems = settingsProblems(settings({ keyVaultId: pasted, keySize: 1000, pfxPassword: "p" }));
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).not.toContain("\n");
  });

  it("stops the program at preview, before any resource is registered", async () => {
    const env = installEngine({ config: { keyVaultExportable: true, keyVaultId: "" } });
    await expect(importProgram()).rejects.toThrow(/keyVaultExportable is set without keyVaultId/);
    await env.engine.settled();
    expect(env.engine.registered).toEqual([]);
  });

  it("stop the program at preview when the azure provider has no subscription, naming the setting and the fix", async () => {
    const saved = process.env.ARM_SUBSCRIPTION_ID;
    delete process.env.ARM_SUBSCRIPTION_ID;
    try {
      const env = installEngine({ config: { keyVaultId, keySize: 1024 } });
      // Reported with the settings' own problems, all at once.
      await expect(importProgram()).rejects.toThrow(
        /keySize 1024 is not supported by Key Vault[\s\S]*azure:subscriptionId is not set: .*pulumi config set azure:subscriptionId/,
      );
      await env.engine.settled();
      expect(env.engine.registered).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.ARM_SUBSCRIPTION_ID = saved;
    }
  });

  it("stop the program at preview when the azure provider works in another subscription than the vault", async () => {
    const other = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const env = installEngine({ config: { keyVaultId, "azure:subscriptionId": other } });
    await expect(importProgram()).rejects.toThrow(
      /azure:subscriptionId is not the subscription of keyVaultId's vault: .*set it to the vault's/,
    );
    await env.engine.settled();
    expect(env.engine.registered).toEqual([]);
  });

  it("check the provider's subscription, from stack config or else ARM_SUBSCRIPTION_ID, against every vault", () => {
    const vaultSubscription = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    const other = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(azureSubscriptionProblems([keyVaultId], { config: vaultSubscription })).toEqual([]);
    expect(azureSubscriptionProblems([keyVaultId], { env: vaultSubscription.toUpperCase() })).toEqual([]);
    // The stack's config wins over the environment, as the provider reads them.
    expect(azureSubscriptionProblems([keyVaultId], { config: other, env: vaultSubscription })).toEqual([
      expect.stringMatching(/^azure:subscriptionId is not the subscription of keyVaultId's vault/),
    ]);
    expect(azureSubscriptionProblems([keyVaultId], { env: other })).toEqual([
      expect.stringMatching(/^ARM_SUBSCRIPTION_ID is not the subscription/),
    ]);
    // Never quoted: a value in the wrong place could be a secret.
    const [shape] = azureSubscriptionProblems([keyVaultId], { config: pasted });
    expect(shape).toMatch(/^azure:subscriptionId is not a subscription id \(a GUID\)/);
    expectHolds(shape ?? "", pasted, "the refused value", false);
    const elsewhere = keyVaultId.replace(vaultSubscription, other);
    expect(azureSubscriptionProblems([keyVaultId, elsewhere], { config: vaultSubscription })).toEqual([
      expect.stringMatching(/^keyVaultId names vaults in more than one subscription/),
    ]);
    // Without Key Vault, or with a malformed id (refused by its own check), there is nothing to compare.
    expect(azureSubscriptionProblems([], {})).toEqual([]);
    expect(azureSubscriptionProblems([pasted], {})).toEqual([]);
  });

  it("are read from stack config as `pulumi config set` stores them, the flag as the text true", () => {
    installEngine({ config: { keyVaultId, keyVaultExportable: "true" } });
    expect(readSettings()).toMatchObject({ keyVaultId, keyVaultExportable: true });
    installEngine();
    expect(readSettings()).toMatchObject({ keyVaultId: "", keyVaultExportable: false });
  });
});

describe("the vault's names and forms", () => {
  it("takes a vault's ARM id apart", () => {
    expect(parseKeyVaultId(keyVaultId)).toEqual({
      subscriptionId: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      resourceGroup: "rg-auth",
      vaultName: "kv-entra-cert",
    });
  });

  it("rounds validity up to whole months of the average Gregorian month", () => {
    expect([1, 30, 31, 90, 365, 366, 730].map(validityInMonths)).toEqual([1, 1, 2, 3, 12, 13, 24]);
  });

  it("names a generation's certificate <project>-<stack>-<resource>-<generation>, within Key Vault's rules", () => {
    expect(vaultCertificateName("entra-cert-auth", "dev", "client", "0123456789ab")).toBe(
      "entra-cert-auth-dev-client-0123456789ab",
    );
    const odd = vaultCertificateName("my_project", "team.dev", "client", "0123456789ab");
    expect(odd).toMatch(/^my-project-team-dev-client-[0-9a-f]{8}-0123456789ab$/);
    expect(odd).not.toBe(vaultCertificateName("my-project", "team-dev", "client", "0123456789ab"));
    const long = vaultCertificateName("p".repeat(100), "s".repeat(60), "client", "0123456789ab");
    expect(long).toHaveLength(127);
    expect(long).toMatch(/^[A-Za-z0-9-]+-[0-9a-f]{8}-0123456789ab$/);
  });

  it("quotes a common name with a comma or another special character, as Key Vault takes it", () => {
    expect(subjectOf("orders")).toBe("CN=orders");
    expect(subjectOf("Orders, Inc. + Co")).toBe('CN="Orders, Inc. + Co"');
    expect(subjectOf(" #lead")).toBe('CN=" #lead"');
  });

  it("refuses in Key Vault mode a common name with a double quote or a backslash, naming the setting that gives it", () => {
    const quoted = settingsProblems(settings({ keyVaultId, displayName: 'the "orders" app' }));
    expect(quoted).toEqual([
      expect.stringMatching(/^displayName holds a double quote or a backslash, .*certificateSubject/),
    ]);
    const slashed = settingsProblems(settings({ keyVaultId, certificateSubject: "corp\\orders" }));
    expect(slashed).toEqual([expect.stringMatching(/^certificateSubject holds a double quote or a backslash/)]);
    // A subject of its own makes the display name free to hold them; without Key Vault the tls provider takes both.
    expect(
      settingsProblems(settings({ keyVaultId, displayName: 'the "orders" app', certificateSubject: "orders" })),
    ).toEqual([]);
    expect(settingsProblems(settings({ displayName: 'the "orders" app' }))).toEqual([]);
  });

  it("derives the versioned key id from the versioned certificate id", () => {
    expect(keyIdOfCertificate("https://kv.vault.azure.net/certificates/c-1/0123456789abcdef0123456789abcdef")).toBe(
      "https://kv.vault.azure.net/keys/c-1/0123456789abcdef0123456789abcdef",
    );
    expect(keyIdOfCertificate("https://localhost:8443/certificates/c/v")).toBe("https://localhost:8443/keys/c/v");
    expect(() => keyIdOfCertificate("https://kv.vault.azure.net/certificates/c")).toThrow(TypeError);
  });

  it("turns hex DER into the same PEM and back, whatever the case of the hex", async () => {
    const { certificatePem } = await sharedCertificate();
    const hex = hexOfPem(certificatePem);
    expect(hex).toMatch(/^[0-9A-F]+$/);
    expect(new X509Certificate(pemOfHex(hex.toLowerCase())).fingerprint256).toBe(
      new X509Certificate(certificatePem).fingerprint256,
    );
    expect(hexOfPem(pemOfHex(hex))).toBe(hex);
    expect(() => pemOfHex("xyz")).toThrow(TypeError);
  });
});
