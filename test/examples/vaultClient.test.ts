import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCertificate } from "../support/certificates";
import { type RegisteredClient, registerClient } from "../support/entra";
import { startVault, type TestVault, type VaultCertificate, type VaultIdentity } from "../support/keyvault";
import { vaultStackOutputsFor } from "../support/outputs";
import { root } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";

const dir = fileTempDir("eca-vault-client-");
const example = join(root, "examples", "vault-client", "client.mts");

/** Runs the example as docs/key-vault.md shows it (tsx strips its types, as Node 22.18 and later do by themselves). */
function runExample(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", example, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("the client of docs/key-vault.md (examples/vault-client/client.mts), against the local Entra ID and Key Vault", () => {
  let t: TestVault;
  let signer: VaultIdentity;
  let vaultCert: VaultCertificate;
  let client: RegisteredClient;
  let env: NodeJS.ProcessEnv;
  let outputsPath: string;

  beforeAll(async () => {
    t = await startVault();
    signer = await t.identity(["Key Vault Crypto User"]);
    vaultCert = await t.createCertificate("example-cert");
    client = await registerClient(t.entra, {
      grant: ["Data.Read"],
      cert: { certificatePem: vaultCert.certificatePem } as TestCertificate,
    });
    outputsPath = join(dir, "outputs.json");
    writeFileSync(outputsPath, JSON.stringify(vaultStackOutputsFor(t.entra, client, vaultCert.keyId)));
    const caBundle = join(dir, "ca-bundle.pem");
    writeFileSync(caBundle, t.caBundle);
    const identityPem = join(dir, "identity.pem");
    writeFileSync(identityPem, `${signer.cert.certificatePem.trim()}\n${signer.cert.privateKeyPem}`, { mode: 0o600 });
    // DefaultAzureCredential's environment, as a pipeline's service principal with a certificate sets it, and the
    // two loopback differences: the local authority host and the local CAs.
    env = {
      AZURE_TENANT_ID: t.entra.tenantId,
      AZURE_CLIENT_ID: signer.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: identityPem,
      AZURE_AUTHORITY_HOST: t.entra.authorityHost,
      NODE_EXTRA_CA_CERTS: caBundle,
    };
  });
  afterAll(() => t?.stop());

  it("gets a token for the app with an assertion the vault signed, as the signing identity DefaultAzureCredential finds", async () => {
    const { code, stdout, stderr } = await runExample([outputsPath], env);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(`^token for ${client.scope.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, expires \\d{4}-\\d\\d-\\d\\dT`),
    );
    expectNoSecrets(stdout, [signer.cert.privateKeyPem]);
  });

  it("fails for a signing identity that may not sign with the key", async () => {
    const reader = await t.identity(["Key Vault Reader"]);
    const identityPem = join(dir, "reader.pem");
    writeFileSync(identityPem, `${reader.cert.certificatePem.trim()}\n${reader.cert.privateKeyPem}`, { mode: 0o600 });
    const { code, stdout, stderr } = await runExample([outputsPath], {
      ...env,
      AZURE_CLIENT_ID: reader.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: identityPem,
    });
    expect(code).not.toBe(0);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/statusCode: 403/);
    // Node prints the uncaught RestError whole (its request and response): the SDK's sanitizer keeps the vault
    // token out of it.
    expectNoSecrets(stderr, [reader.cert.privateKeyPem]);
  });
});
