import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeploymentError, runDeployment } from "../../rehearsal/deployment";
import { startEntra } from "../support/entra";
import { isRunning, root, runScript, waitForLine } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";

const outputNames = [
  "tenantId",
  "clientId",
  "applicationObjectId",
  "servicePrincipalObjectId",
  "authority",
  "scope",
  "expectedRoles",
  "certificatePem",
  "privateKeyPem",
  "thumbprint",
  "thumbprintSha256",
  "keyId",
  "certificateNotAfter",
];

/** Processes still running one of the project's entry points. */
const leftovers = () =>
  execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => /rehearsal\/(deploy|main)\.ts|entra\/main\.ts|verify\/main\.ts/.test(l) && !l.includes("ps -eo"));

describe("npm start, the offline rehearsal", () => {
  const printed: string[] = [];
  const keys: string[] = [];
  const start = async (dir: string, args: string[] = []) => {
    const result = await runScript("rehearsal/main.ts", ["--dir", dir, ...args], { cwd: root }).done;
    printed.push(result.stdout, result.stderr);
    if (existsSync(join(dir, "outputs.json")))
      keys.push(JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")).privateKeyPem);
    return result;
  };
  const tempDir = () => join(mkdtempSync(join(tmpdir(), "eca-rehearsal-")), "out");

  it("deploys the real program into the local Entra ID and verifies it, leaving outputs.json, entra.json and ca.pem", async () => {
    const dir = tempDir();
    const { code, stdout } = await start(dir);
    expect(code).toBe(0);
    for (const step of [
      "create  PrivateKey client-key",
      "create  SelfSignedCert client-cert",
      "create  Application client-app",
      "create  ServicePrincipal client-sp",
      "create  ApplicationCertificate client-credential",
      "create  AppRoleAssignment client-role-Data.Read",
    ]) {
      expect(stdout).toContain(step);
    }
    expect(stdout).toMatch(/^rehearsal: verified: a certificate-authenticated token for .+ with Data.Read/m);
    const outputs = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8"));
    for (const name of outputNames) expect(outputs[name], name).toBeTruthy();
    expect(outputs.privateKeyPem).toContain("PRIVATE KEY");
    const directory = JSON.parse(readFileSync(join(dir, "entra.json"), "utf8"));
    expect(directory.applications.map((a: { appId: string }) => a.appId)).toContain(outputs.clientId);
    expect(readFileSync(join(dir, "ca.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
  });

  it("leaves outputs that the standalone local Entra ID and verify accept again", async () => {
    const dir = tempDir();
    expect((await start(dir)).code).toBe(0);
    const entra = runScript("entra/main.ts", ["--state", join(dir, "entra.json"), "--port", "0"]);
    try {
      const [, host] = await waitForLine(entra.child, /authority host: (https:\/\/localhost:\d+)\n/);
      const verify = await runScript("verify/main.ts", [
        "--outputs",
        join(dir, "outputs.json"),
        "--authority-host",
        host,
        "--ca-file",
        join(dir, "ca.pem"),
      ]).done;
      printed.push(verify.stdout, verify.stderr);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/^verified: /m);
    } finally {
      entra.child.kill("SIGTERM");
      expect((await entra.done).code).toBe(0);
    }
  });

  it("rotates with a working certificate at every step", async () => {
    const dir = tempDir();
    const { code, stdout } = await start(dir, ["--rotate"]);
    expect(code).toBe(0);
    const probes = stdout.split("\n").filter((l) => l.includes("probe "));
    // One-step rotation with overlap (issue 9): the new credential is created beside the old one, which
    // stays attached until the next rotation.
    expect(probes).toEqual([
      "rehearsal:   probe before the deployment: previous certificate accepted",
      expect.stringMatching(
        /^rehearsal: {3}probe after create of client-credential-[0-9a-f]{12}: previous certificate accepted, new certificate accepted$/,
      ),
      "rehearsal:   probe after the deployment: previous certificate accepted, new certificate accepted",
    ]);
    expect(stdout).toContain("rotation kept a working certificate at every step");
  });

  it("waits out a propagation delay", async () => {
    const { code, stdout } = await start(tempDir(), ["--propagation-delay", "4"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\(AADSTS(700016|700027|7000229)\), attempt 1, retrying in/);
  });

  it("stops on a config error before anything is created", async () => {
    const dir = tempDir();
    const { code, stdout } = await start(dir, ["--config", "keySize=1000"]);
    expect(code).toBe(2);
    expect(stdout).toContain("keySize 1000 is not supported: use one of 2048, 3072, 4096");
    const directory = JSON.parse(readFileSync(join(dir, "entra.json"), "utf8"));
    expect(directory.applications).toEqual([]);
    expect(existsSync(join(dir, "outputs.json"))).toBe(false);
  });

  it("rejects an unknown --config key with the keys it knows", async () => {
    const { code, stderr } = await start(tempDir(), ["--config", "colour=blue"]);
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(
      /^rehearsal: --config colour is not a setting of this project; Pulumi.yaml declares displayName, /,
    );
  });

  it("never printed a private key, a token or an assertion", () => {
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expectNoSecrets(printed.join("\n"), keys);
  });

  afterAll(() => {
    expect(leftovers()).toEqual([]);
  });
});

describe("the local engine", () => {
  it("fails a deployment on a resource type it has no handler for, naming the type", async () => {
    const entra = await startEntra();
    const dir = mkdtempSync(join(tmpdir(), "eca-engine-"));
    try {
      const job = {
        program: join(__dirname, "fixtures", "unknownType.ts"),
        project: "entra-cert-auth",
        stack: "test",
        config: {},
        checkpointPath: join(dir, "checkpoint.json"),
        outputsPath: join(dir, "outputs.json"),
        entra: {
          authorityHost: entra.authorityHost,
          caPem: entra.caPem,
          tenantId: entra.tenantId,
          adminKey: entra.adminKey,
        },
        deployer: {
          clientId: "11111111-1111-4111-8111-111111111111",
          objectId: "22222222-2222-4222-8222-222222222222",
        },
        probeRotation: false,
      };
      const error = await runDeployment(job, () => undefined).catch((e) => e);
      expect(error).toBeInstanceOf(DeploymentError);
      expect(error.message).toContain(
        "the local engine has no handler for resource type azuread:index/group:Group (team)",
      );
      expect(existsSync(job.outputsPath)).toBe(false);
    } finally {
      await entra.stop();
    }
  });

  it("leaves no deployment process behind", () => {
    expect(leftovers()).toEqual([]);
    expect(isRunning(process.pid)).toBe(true);
  });
});
