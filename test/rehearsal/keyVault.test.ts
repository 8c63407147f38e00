import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../rehearsal/main";
import { root, runScript, waitForLine } from "../support/processes";
import { expectHolds, expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";
import { filesOf, formsPerKey, revealedCheckpoint, vaultKeyForms } from "./vaultFolder";

/**
 * `npm start -- --key-vault --rotate` end to end, once, in-process: the real program in Key Vault mode,
 * the local Key Vault and Entra ID, verify signing through the vault, and a rotation probed at every step.
 * The tests read what the run printed and left.
 */
const temp = fileTempDir("eca-rehearsal-kv-");
let run: { code: number; stdout: string; stderr: string };
let dir: string;

describe("npm start -- --key-vault --rotate", () => {
  beforeAll(async () => {
    dir = join(temp, "kv");
    const io = capture();
    const code = await main(["--dir", dir, "--key-vault", "--rotate", "--timeout", "60"], io, { cwd: root });
    run = { code, ...io.text() };
    // Four program starts and two local services: about 20 s on an idle machine, much more on a busy one.
  }, 300_000);

  it("deploys in Key Vault mode and verifies with a client assertion the local Key Vault signed", () => {
    expect(run.code, run.stderr).toBe(0);
    expectHolds(run.stdout, "create  Certificate client-vault-cert-", "a vault certificate is created");
    expectHolds(run.stdout, "the client assertion signed in the local Key Vault", "verify signs through the vault");
    expectHolds(run.stdout, "PASS  vault key matches certificate", "the vault key is checked before any token");
    expectHolds(run.stdout, "verified: a certificate-authenticated token", "a token comes back");
    expectHolds(run.stdout, ", its assertion signed by Key Vault (", "the verdict says the vault signed");
  });

  it("leaves outputs with the vault's ids and no private key, PFX or password", () => {
    const outputs = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8"));
    for (const name of ["privateKeyPem", "certificatePfx", "pfxPassword", "keyVaultSecretId"])
      expect(name in outputs, `${name} is not an output`).toBe(false);
    expect(outputs.keyVaultKeyId).toMatch(/^https:\/\/localhost:\d+\/keys\/[A-Za-z0-9-]+\/[0-9a-f]{32}$/);
    expect(outputs.keyVaultCertificateId).toBe(outputs.keyVaultKeyId.replace("/keys/", "/certificates/"));
  });

  it("keeps the previous certificate working at every step of the rotation", () => {
    const probes = run.stdout.split("\n").filter((l) => l.includes("probe "));
    expect(probes.length).toBeGreaterThanOrEqual(4);
    for (const line of probes) expectHolds(line, "accepted", `a certificate is accepted: ${line.split(":")[1]}`);
    expectHolds(run.stdout, "new certificate accepted", "the new certificate works once attached");
    expectHolds(run.stdout, "rotation kept a working certificate at every step", "no gap");
  });

  it("leaves the client's private key nowhere but in the vault's own state: no output, history, checkpoint or client file", () => {
    const forms = vaultKeyForms(dir);
    expect(forms.length).toBeGreaterThanOrEqual(2 * formsPerKey);
    const vaultOwn = (path: string) => path.startsWith("keyvault.json");
    for (const [path, text] of filesOf(dir)) {
      if (vaultOwn(path)) continue;
      for (const form of forms) expect(text.includes(form), `${path} holds a form of the client's key`).toBe(false);
    }
    // The checkpoint keeps secrets encrypted: read it as the engine does and look inside every value.
    const { checkpoint, plain } = revealedCheckpoint(dir, "rehearsal");
    expectHolds(plain, "PRIVATE KEY", "the checkpoint holds a private key", false);
    for (const form of forms) expect(plain.includes(form), "the checkpoint holds the client's key").toBe(false);
    expect(checkpoint.resources.some((r) => r.type === "tls:index/privateKey:PrivateKey")).toBe(false);
  });

  it("prints commands that serve the folder again and verify as the pipeline identity through DefaultAzureCredential", async () => {
    // "  npm run entra -- …", "  npm run keyvault -- …" and "  AZURE_…=… npm run verify -- …", as the run printed them.
    const printed = (script: string) => {
      const line = run.stdout.split("\n").find((l) => l.includes(` npm run ${script} -- `)) ?? "";
      const [before = "", after = ""] = line.replace(/^rehearsal:/, "").split(` npm run ${script} -- `);
      const env = Object.fromEntries(
        before
          .split(/\s+/)
          .filter((w) => w.includes("="))
          .map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
      );
      return { env, args: after.trim().split(/\s+/) };
    };
    const entra = runScript("entra/main.ts", printed("entra").args);
    const vault = runScript("keyvault/main.ts", printed("keyvault").args);
    try {
      // Serving, or gone: a server that exits says why on stderr.
      const serving = (server: typeof entra) =>
        Promise.race([
          waitForLine(server.child, /serving on/),
          server.done.then(({ code, stderr }) => expect.fail(`exited ${code}: ${stderr}`)),
        ]);
      await Promise.all([serving(entra), serving(vault)]);
      const verify = printed("verify");
      expect(Object.keys(verify.env).sort()).toEqual([
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
      ]);
      const { code, stdout, stderr } = await runScript("verify/main.ts", verify.args, {
        env: { ...verify.env, AZURE_CLIENT_SECRET: "", AZURE_FEDERATED_TOKEN_FILE: "", GITHUB_STEP_SUMMARY: "" },
      }).done;
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^ {2}PASS {2}vault key matches certificate/m);
      expect(stdout).toMatch(/^verified: a certificate-authenticated token/m);
      expectNoSecrets(stdout + stderr);
    } finally {
      for (const server of [entra, vault]) {
        server.child.kill();
        await server.done;
      }
    }
  });

  it("prints no key, token or assertion", () => {
    expectNoSecrets(`${run.stdout}\n${run.stderr}`);
    const identities = ["deployer", "pipeline"].map((n) => readFileSync(join(dir, "identities", `${n}.pem`), "utf8"));
    expectNoSecrets(`${run.stdout}\n${run.stderr}`, identities);
  });
});
