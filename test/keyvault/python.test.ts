import { spawn, spawnSync } from "node:child_process";
import { constants, createHash, verify, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVault, type TestVault } from "../support/keyvault";
import { fileTempDir } from "../support/tempFolders";

/**
 * Debian's python3-azure (apt-get install python3-azure) installs into the system Python; a pyenv or venv
 * `python3` first on PATH does not see it. The first interpreter that imports the SDKs is used.
 */
const python = ["/usr/bin/python3", "python3"].find(
  (p) =>
    spawnSync(p, ["-c", "import azure.identity, azure.keyvault.keys, azure.keyvault.certificates"], {
      stdio: "ignore",
    }).status === 0,
);

function runPython(script: string, input: string) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(python ?? "", [script], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe.skipIf(!python)("the local Key Vault with the Python SDKs (Debian python3-azure)", () => {
  let t: TestVault;
  const dir = fileTempDir("eca-kv-python-");
  beforeAll(async () => {
    t = await startVault();
  });
  afterAll(() => t?.stop());

  it("creates a certificate with azure-keyvault-certificates and signs PS256 with azure-keyvault-keys, then reads it and its key, deletes and purges it", async () => {
    const officer = await t.identity(["Key Vault Certificates Officer"]);
    const signer = await t.identity(["Key Vault Crypto User"]);
    const caPath = join(dir, "ca-bundle.pem");
    writeFileSync(caPath, t.caBundle);
    const input = Buffer.from("python.signing-input");
    const pem = (i: typeof officer) => `${i.cert.certificatePem}\n${i.cert.privateKeyPem}`;
    // Asynchronous: the vault and the Entra ID answer from this process's event loop.
    const run = await runPython(
      join(__dirname, "python", "create_and_sign.py"),
      JSON.stringify({
        tenantId: t.entra.tenantId,
        authorityHost: t.entra.authorityHost,
        vaultUrl: t.vault.vaultUrl,
        caPath,
        name: "python-cert",
        digest: createHash("sha256").update(input).digest("base64"),
        officer: { clientId: officer.clientId, pem: pem(officer) },
        signer: { clientId: signer.clientId, pem: pem(signer) },
      }),
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as {
      keyId: string;
      cer: string;
      signature: string;
      latestId: string;
      versionCer: string;
      keyIdRead: string;
      keyN: string;
      afterDelete: { certificate: number; key: number; deleted: string };
      afterPurge: number;
      recoveryId: string;
      remaining: string[];
    };
    expect(out.keyId).toMatch(new RegExp(`^${t.vault.vaultUrl}/keys/python-cert/[0-9a-f]{32}$`));
    const cert = new X509Certificate(Buffer.from(out.cer, "base64"));
    expect(cert.subject).toBe("CN=python sdk");
    const key = { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify("sha256", input, key, Buffer.from(out.signature, "base64"))).toBe(true);
    expect(out.latestId).toBe(out.keyId.replace("/keys/", "/certificates/"));
    expect(out.versionCer).toBe(out.cer);
    expect(out.keyIdRead).toBe(out.keyId);
    expect(out.keyN).toBe(cert.publicKey.export({ format: "jwk" }).n);
    expect(out.afterDelete).toEqual({ certificate: 404, key: 404, deleted: "python-cert" });
    expect(out.afterPurge).toBe(404);
    expect(out.recoveryId).toBe(`${t.vault.vaultUrl}/deletedcertificates/python-cert`);
    expect(out.remaining).toEqual([]);
  });
});
