import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeAzureCli } from "../support/azureCli";
import type { TestCertificate } from "../support/certificates";
import { registerClient } from "../support/entra";
import { vaultForFile, vaultResource } from "../support/keyvault";
import { stackOutputsFor } from "../support/outputs";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { runAction } from "./runner";

describe("the GitHub Action in Key Vault mode, after azure/login (the Azure CLI logged in as the job's identity)", () => {
  const dir = fileTempDir("eca-action-kv-");
  const file = vaultForFile(async (t) => {
    const signer = await t.identity(["Key Vault Crypto User"]);
    const cert = await t.createCertificate("action-client");
    const client = await registerClient(t.entra, {
      grant: ["Data.Read"],
      cert: { certificatePem: cert.certificatePem } as TestCertificate,
    });
    const { privateKeyPem: _key, ...outputs } = stackOutputsFor(t.entra, client, ["Data.Read"]);
    const outputsFile = join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify({ ...outputs, keyVaultKeyId: cert.keyId }));
    const caFile = join(dir, "ca-bundle.pem");
    writeFileSync(caFile, t.caBundle);
    const token = await t.credential(signer).getToken(`${vaultResource}/.default`);
    return { cert, outputsFile, caFile, token, az: fakeAzureCli(dir, token) };
  });

  it("signs through Key Vault as the CLI's identity with AZURE_TOKEN_CREDENTIALS=AzureCliCredential on the step", async () => {
    const run = await runAction(
      { "outputs-file": file.outputsFile, "ca-file": file.caFile, timeout: "60" },
      { env: { PATH: `${file.az.bin}:${process.env.PATH}`, AZURE_TOKEN_CREDENTIALS: "AzureCliCredential" } },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: "verified", "exit-code": "0" });
    expect(run.report).toMatchObject({
      verdict: "verified",
      inputs: { privateKey: "in Key Vault", keyVaultKeyId: file.cert.keyId },
    });
    expect(file.az.calls().map((c) => c.slice(4, 6))).toContainEqual(["--resource", vaultResource]);
    const printed = `${run.stdout}\n${run.stderr}\n${run.summary}\n${Object.values(run.outputs).join("\n")}`;
    expectNoSecrets(printed);
    expect(printed.includes(file.token.token), "the Key Vault token printed").toBe(false);
  });
});
