import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeAzureCli } from "../support/azureCli";
import type { TestCertificate } from "../support/certificates";
import { keyRunIn } from "../support/cli";
import { type RegisteredClient, registerClient } from "../support/entra";
import {
  startVault,
  type TestVault,
  type VaultCertificate,
  type VaultIdentity,
  vaultResource,
} from "../support/keyvault";
import { vaultStackOutputsFor } from "../support/outputs";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { type ActionRun, runAction } from "./runner";

describe("the GitHub Action with the key in Key Vault (the local Entra ID and Key Vault, DefaultAzureCredential)", () => {
  const dir = fileTempDir("eca-action-kv-");
  let t: TestVault;
  let vaultCert: VaultCertificate;
  let client: RegisteredClient;
  let caFile: string;
  let outputs: Record<string, unknown>;
  let outputsFile: string;

  /** A pipeline identity's certificate file and the AZURE_* variables DefaultAzureCredential reads for it. */
  function pipelineEnv(identity: VaultIdentity, name: string): NodeJS.ProcessEnv {
    const path = join(dir, `${name}.pem`);
    writeFileSync(path, `${identity.cert.certificatePem.trim()}\n${identity.cert.privateKeyPem}`, { mode: 0o600 });
    return {
      AZURE_TENANT_ID: t.entra.tenantId,
      AZURE_CLIENT_ID: identity.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: path,
    };
  }

  /** Nothing secret in anything the runner keeps: the log, stderr, the summary, the outputs and the report. */
  function expectClean(run: ActionRun, identity: VaultIdentity): void {
    const kept = [run.log, run.stderr, run.summary, run.env, JSON.stringify(run.outputs), JSON.stringify(run.report)];
    const printed = kept.join("\n");
    expectNoSecrets(printed, [identity.cert.privateKeyPem]);
    expect(keyRunIn(printed, identity.cert.privateKeyPem)).toBeUndefined();
  }

  beforeAll(async () => {
    t = await startVault();
    vaultCert = await t.createCertificate("action-cert");
    client = await registerClient(t.entra, {
      grant: ["Data.Read"],
      cert: { certificatePem: vaultCert.certificatePem } as TestCertificate,
    });
    caFile = join(dir, "ca-bundle.pem");
    writeFileSync(caFile, t.caBundle);
    outputs = vaultStackOutputsFor(t.entra, client, vaultCert.keyId);
    outputsFile = join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(outputs));
  });
  afterAll(() => t?.stop());

  it("verifies with the outputs' keyVaultKeyId, signing as the job's identity, and reports days left", async () => {
    const signer = await t.identity(["Key Vault Crypto User"]);
    const run = await runAction(
      { "outputs-file": outputsFile, "ca-file": caFile },
      { env: pipelineEnv(signer, "signer") },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.log).toMatch(/^ {2}PASS {2}vault key matches certificate +/m);
    expect(run.log.split("\n").at(-1)).toMatch(/^verified: a certificate-authenticated token for api:\/\//);
    expect(run.outputs).toMatchObject({ verdict: "verified", "exit-code": "0" });
    expect(run.outputs["expires-in-days"]).toMatch(/^\d+$/);
    expect(run.report).toMatchObject({ inputs: { privateKey: "in Key Vault", keyVaultKeyId: vaultCert.keyId } });
    expectClean(run, signer);
  });

  it("takes the key id from input key-vault-key-id and the certificate alone from certificate-file", async () => {
    const signer = await t.identity(["Key Vault Crypto User"]);
    const certificateFile = join(dir, "certificate.pem");
    writeFileSync(certificateFile, vaultCert.certificatePem);
    const { keyVaultKeyId: _id, certificatePem: _pem, ...withoutKey } = outputs;
    const bare = join(dir, "outputs-without-key.json");
    writeFileSync(bare, JSON.stringify(withoutKey));
    const run = await runAction(
      {
        "outputs-file": bare,
        "ca-file": caFile,
        "certificate-file": certificateFile,
        "key-vault-key-id": vaultCert.keyId,
      },
      { env: pipelineEnv(signer, "signer-2") },
    );
    expect(run.code).toBe(0);
    expect(run.report).toMatchObject({ inputs: { certificate: "from --certificate", keyVaultKeyId: vaultCert.keyId } });
    expect(run.outputs["expires-in-days"]).toMatch(/^\d+$/);
    expectClean(run, signer);
  });

  it("signs as the Azure CLI's identity (after azure/login) with AZURE_TOKEN_CREDENTIALS=AzureCliCredential on the step", async () => {
    const signer = await t.identity(["Key Vault Crypto User"]);
    const token = await t.credential(signer).getToken(`${vaultResource}/.default`);
    const az = fakeAzureCli(dir, token);
    const run = await runAction(
      { "outputs-file": outputsFile, "ca-file": caFile, timeout: "60" },
      { env: { PATH: `${az.bin}:${process.env.PATH}`, AZURE_TOKEN_CREDENTIALS: "AzureCliCredential" } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: "verified", "exit-code": "0" });
    expect(run.report).toMatchObject({
      verdict: "verified",
      inputs: { privateKey: "in Key Vault", keyVaultKeyId: vaultCert.keyId },
    });
    expect(az.calls().map((c) => c.slice(4, 6))).toContainEqual(["--resource", vaultResource]);
    expectClean(run, signer);
    const kept = [
      run.stdout,
      run.stderr,
      run.summary,
      run.env,
      JSON.stringify(run.outputs),
      JSON.stringify(run.report),
    ];
    expect(keyRunIn(kept.join("\n"), token.token), "a run of the Key Vault token printed").toBeUndefined();
  });

  it("fails at once with one error line naming the permission when the job's identity may not sign (exit 4)", async () => {
    const nobody = await t.identity([]);
    const run = await runAction(
      { "outputs-file": outputsFile, "ca-file": caFile, timeout: "120" },
      { env: pipelineEnv(nobody, "nobody") },
    );
    expect(run.code).toBe(4);
    expect(run.log.split("\n").filter((l) => l.startsWith("::error"))).toEqual([
      `::error title=entra-cert-auth verify::FAILED (ERR_AUTHENTICATION, exit 4): the identity may not read ${vaultCert.keyId} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/read and Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
    ]);
    expect(run.outputs).toMatchObject({ verdict: "failed", "exit-code": "4" });
    expectClean(run, nobody);
  });
});
