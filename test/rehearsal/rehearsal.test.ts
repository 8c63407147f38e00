import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { requestJson } from "../../common/https";
import { start } from "../../entra/server";
import { type EngineResult, type EngineRun, type RunEngine, runEngine } from "../../rehearsal/engine";
import { main } from "../../rehearsal/main";
import { type Holder, type ProbeResult, probe } from "../../rehearsal/probe";
import { applicationCertificate } from "../../rehearsal/providers/azuread";
import { GraphError, graphClient } from "../../rehearsal/providers/graph";
import { runVerify } from "../../verify/run";
import { isRunning, root, runScript } from "../support/processes";
import { expectHolds, expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

/**
 * The rehearsal end to end with the real program and the engine behind
 * `runEngine`. One shared folder is rehearsed several times in beforeAll
 * (the first run as the spawned CLI, the others in-process through `main`);
 * the tests only read what those runs printed and left.
 */
const temp = fileTempDir("eca-rehearsal-");
const printed: string[] = [];
const secrets: string[] = [];
const spawned: number[] = [];

type Outputs = Record<string, unknown> & { tenantId: string; clientId: string };

async function rehearse(args: string[], cwd = root, engine = runEngine) {
  const io = capture();
  const code = await main(args, io, { cwd, runEngine: engine });
  const result = { code, ...io.text() };
  printed.push(result.stdout, result.stderr);
  return result;
}

/** Outputs a run saved, their secrets remembered for the secrets tests. */
function readOutputs(file: string): Outputs {
  // A run that failed left none: the tests reading them fail on their own, the others still run.
  if (!existsSync(file)) return { tenantId: "", clientId: "" };
  const outputs = JSON.parse(readFileSync(file, "utf8"));
  for (const name of ["privateKeyPem", "certificatePfx", "pfxPassword"]) remember(outputs[name]);
  return outputs;
}

const remember = (secret: unknown) => {
  if (typeof secret === "string" && secret !== "" && !secrets.includes(secret)) secrets.push(secret);
};

/** The folder's last outputs; its admin key is remembered as a secret too. */
function outputsOf(dir: string): Outputs {
  const adminKey = join(dir, "entra.json.admin-key");
  if (existsSync(adminKey)) remember(readFileSync(adminKey, "utf8").trim());
  return readOutputs(join(dir, "outputs.json"));
}

const shortType = (line: string) => line.split(" ")[0] ?? "";
const changed = (stdout: string) =>
  ["create", "replace", "update", "delete"].flatMap((op) => steps(stdout, op).map((l) => `${op} ${shortType(l)}`));
const steps = (stdout: string, op: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith(`rehearsal:   ${op.padEnd(7)} `))
    .map((l) => l.slice(`rehearsal:   ${op.padEnd(7)} `.length))
    .sort();

const shared = join(temp, "shared");

/** A new folder with the shared folder's local CA and keys (its tenant is new): RSA keys are made once per file. */
function seeded(name: string): string {
  const dir = join(temp, name);
  mkdirSync(dir);
  for (const f of ["ca.pem", "entra.json.keys.json"]) cpSync(join(shared, f), join(dir, f));
  writeFileSync(
    join(dir, ".rehearsal-folder.json"),
    JSON.stringify({ madeBy: "entra-cert-auth rehearsal", wrote: ["ca.pem", "entra.json.keys.json"] }),
  );
  return dir;
}
const runs: { code: number; stdout: string; stderr: string; outputs: Outputs }[] = [];

const holder = (outputs: Outputs, label: string): Holder => ({
  label,
  certificatePem: String(outputs.certificatePem),
  privateKeyPem: String(outputs.privateKeyPem),
});

/** Which of these certificates get a token for the shared stack's app now; the folder's directory is served again. */
async function tryAll(holders: Holder[]): Promise<ProbeResult[]> {
  const entra = await start({ state: join(shared, "entra.json") });
  try {
    const last = outputsOf(shared);
    return await probe(
      {
        tenantId: last.tenantId,
        clientId: last.clientId,
        scope: String(last.scope),
        authorityHost: entra.authorityHost,
        caPem: entra.caPem,
      },
      holders,
    );
  } finally {
    await entra.stop();
  }
}

let afterRotation2: ProbeResult[] = [];
let afterRotation3: ProbeResult[] = [];

/**
 * The given engine, except that when a rotation creates the new credential the old one is removed at once, as a
 * program without overlap would: with the new one still propagating, no certificate gets a token. Only the
 * rehearsal's rotation half probes after each step (afterStep); its plain half is passed on as is.
 */
/**
 * The local Entra ID a run's providers reach: its authority from the run's config (the rehearsal points it there),
 * its CA and admin key from the rehearsal's folder (the state folder is `<dir>/stacks/<stack>`).
 */
function entraOf(run: EngineRun) {
  const dir = dirname(dirname(run.stateDir));
  return {
    authorityHost: run.config["entra-cert-auth:authorityHost"] ?? "",
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    adminKey: readFileSync(join(dir, "entra.json.admin-key"), "utf8").trim(),
  };
}

const withoutOverlap = (engine: RunEngine) => (run: EngineRun) => {
  const probeAfter = run.afterStep;
  if (!probeAfter) return engine(run);
  const before = outputsOf(shared);
  return engine({
    ...run,
    async afterStep(step, outputs) {
      if (step.type.endsWith(":ApplicationCertificate") && step.op === "create") {
        const { authorityHost, caPem, adminKey } = entraOf(run);
        // As the azuread provider removes a credential: read the application, PATCH its list without it.
        const url = `${authorityHost}/graph/v1.0/applications/${before.applicationObjectId}`;
        const headers = { authorization: `Bearer ${adminKey}` };
        const app = await requestJson<{ keyCredentials: { keyId: string }[] }>(url, { headers, ca: caPem });
        const kept = (app.body?.keyCredentials ?? []).filter((k) => k.keyId !== before.keyId);
        const removed = await requestJson(url, { method: "PATCH", headers, ca: caPem, json: { keyCredentials: kept } });
        if (removed.status >= 300) throw new Error(`removing the old credential: HTTP ${removed.status}`);
      }
      await probeAfter(step, outputs);
    },
  });
};
/** What the engine itself returned for each program run of a rehearsal, beside what the rehearsal printed. */
interface Observed extends EngineResult {
  dryRun: boolean;
  /** For each applied ApplicationCertificate step: `op:<the application's key credentials after it>`. */
  credentialsDuring: string[];
}
const observed: Record<string, Observed[]> = {};
/** The config (PULUMI_CONFIG) the program was given in each label's last run: no secrets are set in these runs. */
const observedConfig: Record<string, Record<string, string>> = {};

/**
 * The engine as given, with every program run's result kept under `label`: the engine's own view of the project's
 * program (steps, ids, secret outputs) is read from the rehearsal's runs instead of deploying it again, since each
 * program start costs about a second of CPU.
 */
const observing =
  (
    label: string,
    engine: RunEngine = runEngine,
    then?: (run: EngineRun, result: EngineResult) => Promise<void>,
  ): RunEngine =>
  async (run) => {
    const credentialsDuring: string[] = [];
    const { authorityHost, caPem, adminKey } = entraOf(run);
    const appObjectId = outputsOf(shared).applicationObjectId;
    const result = await engine({
      ...run,
      async afterStep(step, outputs) {
        if (step.type.endsWith(":ApplicationCertificate")) {
          const app = await requestJson<{ keyCredentials?: unknown[] }>(
            `${authorityHost}/graph/v1.0/applications/${appObjectId}`,
            { headers: { authorization: `Bearer ${adminKey}` }, ca: caPem },
          );
          credentialsDuring.push(`${step.op}:${app.body?.keyCredentials?.length}`);
        }
        await run.afterStep?.(step, outputs);
      },
    });
    observed[label] = [...(observed[label] ?? []), { ...result, dryRun: run.dryRun, credentialsDuring }];
    observedConfig[label] = run.config;
    await then?.(run, result);
    return result;
  };
const observedRuns = (label: string) => {
  const seen = observed[label];
  if (!seen) throw new Error(`no program run was observed for ${label}`);
  return seen;
};

/** ts-node's cache directory for this project, and its files before and after the spawned first run. */
const cache = { dir: "", before: [] as string[], after: [] as string[] };
const cacheFiles = () => (existsSync(cache.dir) ? readdirSync(cache.dir).sort() : []);
/** A --preview of the shared stack with only validityDays changed. */
const previewedSetting = { code: -1, stdout: "" };
/** A --preview of the shared stack with the stack file's YAML list and rotation=4; the stack's files around it. */
const previewed = { code: -1, stdout: "", before: {} as Record<string, string>, after: {} as Record<string, string> };

/** Every file of the directory, the outputs and the stack's state, whatever the engine names them, as hashes. */
const snapshot = () =>
  Object.fromEntries(
    [
      "entra.json",
      "outputs.json",
      ...readdirSync(join(shared, "stacks"), { recursive: true, encoding: "utf8" }).map((f) => join("stacks", f)),
    ]
      .filter((f) => statSync(join(shared, f)).isFile())
      // Hashes, so that a failing comparison never prints the key the outputs hold.
      .map((f) => [
        f,
        createHash("sha256")
          .update(readFileSync(join(shared, f)))
          .digest("hex"),
      ]),
  );

/** `npm start` as the user runs it: the compiled CLI in a child process, after `prepare` warmed ts-node's cache. */
async function spawnFirstRun() {
  const warmed = execFileSync(process.execPath, [join(root, "scripts", "warm-typecheck.js")], {
    cwd: root,
    encoding: "utf8",
  });
  cache.dir = /ts-node's cache: (\S+)/.exec(warmed)?.[1] ?? "";
  cache.before = cacheFiles();
  const child = runScript("rehearsal/main.ts", ["--dir", shared]);
  if (child.child.pid) spawned.push(child.child.pid);
  const done = await child.done;
  cache.after = cacheFiles();
  printed.push(done.stdout, done.stderr);
  return { ...done, code: done.code ?? -1 };
}

/** Outputs the n-th update of the shared stack saved (history/outputs-00n.json). */
const savedOutputs = (n: number): Outputs =>
  readOutputs(join(shared, "history", `outputs-${String(n).padStart(3, "0")}.json`));

/**
 * One shared stack, rehearsed as a user would: `npm start` (spawned); `--rotate --config rotation=2` (a run that
 * rotates through config, then a rotation probed at every step); `--rotate --propagation-delay 1` with an engine
 * that removes the old credential (a plain run, then a rotation with a gap); then two previews, one with only
 * `validityDays=100`, one with the stack file's roles and `rotation=4`. The tests read what
 * these runs printed and left, and what the engine returned for the in-process ones; each of them passes alone
 * (`-t`), since this runs before any of them. The engine's tests of the project's own program read these runs too,
 * rather than deploying it again: every program start costs about a second of CPU.
 */
beforeAll(async () => {
  runs.push({ ...(await spawnFirstRun()), outputs: outputsOf(shared) });
  // Between the run's two halves, with its local Entra ID up: after npm start and rotation=2, who gets a token.
  const probeAfterRotation2 = async (run: EngineRun, result: EngineResult) => {
    const first = runs[0];
    if (run.dryRun || !first || afterRotation2.length > 0) return;
    const { authorityHost, caPem } = entraOf(run);
    const target = { tenantId: String(result.outputs.tenantId), clientId: String(result.outputs.clientId) };
    afterRotation2 = await probe({ ...target, scope: String(result.outputs.scope), authorityHost, caPem }, [
      holder(first.outputs, "first"),
      holder({ ...target, ...result.outputs }, "second"),
    ]);
  };
  const rotate = await rehearse(
    ["--dir", shared, "--rotate", "--config", "rotation=2"],
    root,
    observing("rotate", runEngine, probeAfterRotation2),
  );
  runs.push({ ...rotate, outputs: outputsOf(shared) });
  const [first, second] = [runs[0], savedOutputs(2)];
  if (first) afterRotation3 = await tryAll([holder(first.outputs, "first"), holder(second, "second")]);
  // A plain run after the rotations (its first half), then a rotation whose program does not overlap.
  const gap = await rehearse(
    ["--dir", shared, "--rotate", "--propagation-delay", "1"],
    root,
    withoutOverlap(observing("gap")),
  );
  runs.push({ ...gap, outputs: outputsOf(shared) });
  // A certificate setting alone: ignored until the next rotation, so nothing would change.
  const ignored = await rehearse(
    ["--dir", shared, "--preview", "--config", "validityDays=100"],
    root,
    observing("validity"),
  );
  Object.assign(previewedSetting, { code: ignored.code, stdout: ignored.stdout });
  const file = join(temp, "Pulumi.rehearsal.yaml");
  writeFileSync(file, "config:\n  entra-cert-auth:roles:\n    - Data.Read\n");
  if (existsSync(join(shared, "stacks"))) {
    previewed.before = snapshot();
    const { code, stdout } = await rehearse([
      "--dir",
      shared,
      "--preview",
      "--stack-config",
      file,
      "--config",
      "rotation=4",
    ]);
    Object.assign(previewed, { code, stdout, after: snapshot() });
  }
  // Every update's outputs, so that the secrets tests know each generation's key, not only each run's last.
  const history = join(shared, "history");
  if (existsSync(history)) for (const file of readdirSync(history)) readOutputs(join(history, file));
  // Three runs (ten program starts, each type-checked) and two previews, on two shared cores.
}, 300_000);

const run = (i: number) => {
  const r = runs[i];
  if (!r) throw new Error(`run ${i} did not happen`);
  return r;
};

describe("npm start on a new folder", () => {
  it("deploys the real program and verifies it, leaving outputs, the directory, the CA and the history", () => {
    const first = run(0);
    expect(first.code).toBe(0);
    const created = steps(first.stdout, "create").map(shortType);
    for (const type of [
      "AppRoleAssignment",
      "Application",
      "ApplicationCertificate",
      "PrivateKey",
      "SelfSignedCert",
      "ServicePrincipal",
    ])
      expect(created, type).toContain(type);
    expect(created.filter((t) => t === "Application")).toHaveLength(2);
    // Reads (the program's StackReference to its own stack) are neither changes nor unchanged resources.
    expect(first.stdout).toMatch(new RegExp(`^rehearsal: preview: ${created.length} to create(, \\d+ to read)?$`, "m"));
    expect(first.stdout).toMatch(/^rehearsal: verified: a certificate-authenticated token for .+ with Data.Read/m);
    const directory = JSON.parse(readFileSync(join(shared, "entra.json"), "utf8"));
    expect(directory.applications.map((a: { appId: string }) => a.appId)).toContain(first.outputs.clientId);
    // The client and its API, still only those after every later run and rotation of the stack.
    expect(directory.applications).toHaveLength(2);
    expect(readFileSync(join(shared, "ca.pem"), "utf8")).toContain("BEGIN CERTIFICATE");
    expect(readdirSync(join(shared, "history"))).toEqual([
      "outputs-001.json",
      "outputs-002.json",
      "outputs-003.json",
      "outputs-004.json",
      "outputs-005.json",
    ]);
  });

  it("leaves the client's files mode 0600: client.pem with certificate and key, client.env for EnvironmentCredential", () => {
    for (const file of ["client.pem", "client.env", "outputs.json"])
      expect(statSync(join(shared, file)).mode & 0o777, file).toBe(0o600);
    const outputs = run(2).outputs;
    // client.env holds the PFX password and client.pem the key: checked as booleans, so a failure prints neither.
    const env = readFileSync(join(shared, "client.env"), "utf8");
    expectHolds(env, `AZURE_TENANT_ID=${outputs.tenantId}\n`, "client.env has AZURE_TENANT_ID");
    expectHolds(env, `AZURE_CLIENT_ID=${outputs.clientId}\n`, "client.env has AZURE_CLIENT_ID");
    const path = /^AZURE_CLIENT_CERTIFICATE_PATH=\/.+client\.(pfx|pem)$/m.test(env);
    expect(path, "client.env has AZURE_CLIENT_CERTIFICATE_PATH to client.pfx or client.pem").toBe(true);
    const host = /^AZURE_AUTHORITY_HOST=https:\/\/localhost:\d+$/m.test(env);
    expect(host, "client.env has AZURE_AUTHORITY_HOST on localhost").toBe(true);
    const pem = readFileSync(join(shared, "client.pem"), "utf8");
    expectHolds(pem, String(outputs.certificatePem).trim(), "client.pem has the certificate");
    expectHolds(pem, String(outputs.privateKeyPem).trim(), "client.pem has the private key");
  });

  it("client.pfx opens with openssl and the password from client.env, and its key matches its certificate", () => {
    const pfx = join(shared, "client.pfx");
    expect(statSync(pfx).mode & 0o777).toBe(0o600);
    const env = readFileSync(join(shared, "client.env"), "utf8");
    expectHolds(env, `AZURE_CLIENT_CERTIFICATE_PATH=${pfx}\n`, "client.env points at client.pfx");
    const password = /^AZURE_CLIENT_CERTIFICATE_PASSWORD=(.*)$/m.exec(env)?.[1] ?? "";
    const openssl = (args: string[], input?: string) =>
      execFileSync("openssl", args, { env: { ...process.env, PFX_PASSWORD: password }, input, encoding: "utf8" });
    const opened = openssl(["pkcs12", "-in", pfx, "-passin", "env:PFX_PASSWORD", "-nodes"]);
    const modulus = (kind: "x509" | "rsa") => openssl([kind, "-noout", "-modulus"], opened);
    expect(modulus("rsa")).toBe(modulus("x509"));
  });
});

describe("client.env works for a client", () => {
  it("verify gets a certificate token from client.pfx through the AZURE_* variables in client.env", async () => {
    const env = Object.fromEntries(
      readFileSync(join(shared, "client.env"), "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const entra = await start({ state: join(shared, "entra.json") });
    try {
      const outputs = outputsOf(shared);
      const report = await runVerify(
        {
          scope: String(outputs.scope),
          apiClientId: String(outputs.apiClientId),
          authorityHost: entra.authorityHost,
          caFile: entra.caPath,
          thumbprint: "sha256",
          timeoutSeconds: 30,
          warnDays: 30,
        },
        { env: { ...env, AZURE_AUTHORITY_HOST: entra.authorityHost }, readStdin: async () => "", progress: () => {} },
      );
      expect(report.error).toBeUndefined();
      expect([report.verdict, report.exitCode]).toEqual(["verified", 0]);
    } finally {
      await entra.stop();
    }
  });
});

describe("the folder holds the stack between runs", () => {
  it("a second run creates nothing and keeps tenantId and clientId", () => {
    // The last --rotate run's first half: a run on the folder with nothing changed, before it rotates.
    // (The run as a whole exits 8: its second half is the rotation with a gap.)
    const [first, rotateRun] = [run(0), run(2)];
    const second = rotateRun.stdout.slice(0, rotateRun.stdout.indexOf("rehearsal: rotating:"));
    expect(second).toMatch(/^rehearsal: preview: (\d+ to read, )?\d+ unchanged$/m);
    expect(second).toContain("rehearsal: verified: ");
    expect(changed(second)).toEqual([]);
    expect(rotateRun.outputs.tenantId).toBe(first.outputs.tenantId);
    expect(rotateRun.outputs.clientId).toBe(first.outputs.clientId);
  });

  it("--config rotation=2 changes exactly the key, the certificate and the credential, in the same tenant", () => {
    // The --rotate --config rotation=2 run's first half, before it rotates again.
    const [first, run2] = [run(0), run(1)];
    expect(run2.code).toBe(0);
    const rotated = run2.stdout.slice(0, run2.stdout.indexOf("rehearsal: rotating:"));
    const made = [...steps(rotated, "create"), ...steps(rotated, "replace")].map(shortType).sort();
    expect(made).toEqual(["ApplicationCertificate", "PrivateKey", "SelfSignedCert"]);
    for (const step of changed(rotated)) expect(step).toMatch(/ (ApplicationCertificate|PrivateKey|SelfSignedCert)$/);
    const outputs = savedOutputs(2);
    expect([outputs.tenantId, outputs.clientId]).toEqual([first.outputs.tenantId, first.outputs.clientId]);
    expect(outputs.certificatePem).not.toBe(first.outputs.certificatePem);
  });

  it("a plain run after a rotation changes nothing: the value is kept with the stack, as pulumi config set keeps it", () => {
    // The last run's first half: a run with no --config after the --rotate runs, before it rotates again.
    const last = run(2);
    const plain = last.stdout.slice(0, last.stdout.indexOf("rehearsal: rotating:"));
    expect(plain).toContain(
      "config kept from earlier runs' --config and --rotate (as pulumi config set keeps it; --fresh forgets): rotation",
    );
    expect(plain).toContain("rehearsal: verified: ");
    expect(changed(plain)).toEqual([]);
    expect(savedOutputs(4).certificatePem).toBe(run(1).outputs.certificatePem);
  });

  it("--preview changes nothing: the directory and the stack are byte for byte the same", () => {
    expect(Object.keys(previewed.before).length).toBeGreaterThanOrEqual(3);
    expect(previewed.code).toBe(0);
    // rotation=4 against the kept rotation: a key, a certificate and a credential would be made anew.
    expect(previewed.stdout).toMatch(/^rehearsal: preview: 3 to create, .*\d+ unchanged; nothing was changed$/m);
    expect(previewed.after).toEqual(previewed.before);
  });
});

/** Steps other than same and read, as `op:name` without the generation suffix. */
const changesOf = (result: EngineResult) =>
  result.steps
    .filter((s) => s.op !== "same" && s.op !== "read" && s.type.split(":")[0] !== "pulumi")
    .filter((s) => !s.type.startsWith("entra-cert-auth:"))
    .map((s) => `${s.op}:${s.name.replace(/-[0-9a-f]{12}$/, "")}`);

describe("the engine on the project's program, as the rehearsal's runs drove it", () => {
  it("a preview on a new folder plans every create, creates nothing and writes no stack", async () => {
    const dir = seeded("new-preview");
    const { code } = await rehearse(["--dir", dir, "--preview"], root, observing("new-preview"));
    expect(code).toBe(0);
    const [preview, ...more] = observedRuns("new-preview");
    // A count, not the results: a failing comparison would print their outputs, the private key among them.
    expect(more.length).toBe(0);
    expect(preview?.dryRun).toBe(true);
    expect(preview?.steps.map((s) => `${s.op}:${s.name}`)).toContain("create:client-app");
    expect(preview?.steps.every((s) => s.op === "create" || s.op === "read")).toBe(true);
    expect(preview?.outputs.clientId).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, "entra.json"), "utf8")).applications).toEqual([]);
    const stackFiles = existsSync(join(dir, "stacks")) ? readdirSync(join(dir, "stacks"), { recursive: true }) : [];
    expect(stackFiles.filter((f) => String(f).endsWith("checkpoint.json"))).toEqual([]);
  });

  it("a second run is all same, with the same ids and the private key still a secret output", () => {
    // The last --rotate run's first half: its preview, then its update.
    const [, update] = observedRuns("gap");
    const before = run(1).outputs;
    expect(update?.dryRun).toBe(false);
    expect(update?.steps.every((s) => s.op === "same" || s.op === "read")).toBe(true);
    expect([update?.outputs.tenantId, update?.outputs.clientId]).toEqual([before.tenantId, before.clientId]);
    expect(update?.outputs.thumbprint).toBe(before.thumbprint);
    expect(update?.secretOutputNames).toEqual(expect.arrayContaining(["privateKeyPem", "certificatePfx"]));
    const timings = update?.timings;
    expect(timings?.load).toBeGreaterThan(0);
    expect(timings?.load).toBeLessThanOrEqual(timings?.total ?? 0);
  });

  it("a changed rotation adds a new key, certificate and credential before the old key and certificate go", () => {
    // The --rotate --config rotation=2 run's first half: its preview, then its update.
    const [preview, update] = observedRuns("rotate");
    const planned = [
      "create:client-key",
      "create:client-cert",
      "create:client-credential",
      "delete:client-cert",
      "delete:client-key",
    ];
    expect(preview && changesOf(preview)).toEqual(planned);
    expect(update && changesOf(update)).toEqual(planned);
    // The previous credential stays attached while the new one is added: one, then two.
    expect(update?.credentialsDuring).toEqual(["same:1", "create:2"]);
    expect(update?.outputs.clientId).toBe(run(0).outputs.clientId);
    expect(update?.outputs.thumbprint).not.toBe(run(0).outputs.thumbprint);
    expect(update?.outputs.attachedCertificates).toHaveLength(2);
  });

  it("honours ignoreChanges: a preview with only validityDays=100 changed plans no change; it waits for the next rotation", () => {
    expect(previewedSetting.code).toBe(0);
    // The program was given the new value.
    expect(observedConfig.validity?.["entra-cert-auth:validityDays"]).toBe("100");
    const plan = /^rehearsal: preview: (.*); nothing was changed$/m.exec(previewedSetting.stdout)?.[1] ?? "";
    // The certificate is declared as before, so it is compared: without ignoreChanges it would be replaced.
    expect(plan).toMatch(/^(\d+ to read, )?\d+ unchanged$/);
  });
});

describe("rotation with overlap", () => {
  it("after npm start and rotation=2, the first run's and the second run's outputs both get tokens", () => {
    expect(afterRotation2.map((r) => [r.label, r.accepted])).toEqual([
      ["first", true],
      ["second", true],
    ]);
  });

  it("after rotation=2 and another rotation (--rotate), the first run's certificate is refused with AADSTS700027 and the second's works", async () => {
    const results = afterRotation3;
    expect(results.map((r) => [r.label, r.accepted])).toEqual([
      ["first", false],
      ["second", true],
    ]);
    expect(results[0]?.reason).toContain("AADSTS700027");
  });

  it("--rotate probes the previous and the new certificate at every step and finds no gap", () => {
    const { code, stdout } = run(1);
    expect(code).toBe(0);
    const probes = stdout.split("\n").filter((l) => l.includes("probe "));
    expect(probes[0]).toBe("rehearsal:   probe before the update: previous certificate accepted");
    // A probe after every applied step; from the new credential's attachment on, each tries both certificates.
    const attached = probes.findIndex((l) => /probe after (create|replace) of client-credential/.test(l));
    expect(attached).toBeGreaterThan(0);
    const after = probes.slice(attached);
    expect(after.length).toBeGreaterThanOrEqual(3);
    for (const line of after)
      expect(line).toMatch(/: previous certificate (accepted|refused \(.+\)), new certificate /);
    expect(after[0]).toMatch(/previous certificate accepted/);
    // At every moment at least one of them gets a token.
    for (const line of probes) expect(line).toMatch(/ accepted/);
    expect(probes.at(-1)).toMatch(/^rehearsal: {3}probe after the update: .*new certificate accepted$/);
    expect(stdout).toContain("rotation kept a working certificate at every step");
  });
  it("--rotate with a propagation delay and no overlap finds the gap: exit 8, naming the step where nothing was accepted", () => {
    const gap = run(2);
    expect(gap.code).toBe(8);
    expect(gap.stdout).toMatch(
      /^rehearsal: {3}probe after create of client-credential\S*: previous certificate refused \(.+\), new certificate refused \(.+\)$/m,
    );
    expect(gap.stdout).toMatch(
      /^rehearsal: ROTATION GAP: no certificate was accepted after create of client-credential/m,
    );
  });
});

describe("stack config and the program, checked before anything is created", () => {
  it("a stack file with roles as a JSON string is refused with the CLI's message; the folder is not even made", async () => {
    const file = join(temp, "Pulumi.dev.yaml");
    writeFileSync(file, "config:\n  entra-cert-auth:roles: '[\"Data.Read\"]'\n");
    const dir = join(temp, "json-roles");
    const { code, stderr } = await rehearse(["--dir", dir, "--stack-config", file]);
    expect(code).toBe(2);
    expect(stderr).toBe("rehearsal: Stack 'dev' with configuration key 'roles' must be of type 'array<string>'");
    expect(existsSync(dir)).toBe(false);
  });

  it("the same roles as a YAML list are accepted: the plan for the shared stack changes only what rotation=4 changes", () => {
    expect(previewed.code).toBe(0);
    // Roles read differently would update the applications or the role assignments.
    const plan = /^rehearsal: preview: (.*); nothing was changed$/m.exec(previewed.stdout)?.[1] ?? "";
    expect(plan).toMatch(/^3 to (create|replace), .*\d+ unchanged$/);
    expect(plan).not.toContain("to update");
  });

  it("a config value the program refuses stops the preview: exit 2, nothing changed, and a pasted key is named, never printed", async () => {
    const before = readFileSync(join(shared, "entra.json"));
    // The slip `--config "apiClientId=$(cat key.pem)"`, in the same run (a program start costs a second).
    const [pasted = ""] = inject("rsaKeys");
    const { code, stdout, stderr } = await rehearse([
      "--dir",
      shared,
      "--config",
      "keySize=1000",
      "--config",
      `apiClientId=${pasted}`,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("preview failed, nothing was changed: ");
    expect(stderr).toContain("keySize 1000 is not supported: use one of 2048, 3072, 4096");
    expect(stderr).toContain("apiClientId holds a PEM block");
    // As the Pulumi CLI would show it: the problems alone, no "unhandled exception" and no stack trace.
    expect(stderr).not.toContain("unhandled exception");
    expect(stderr).not.toMatch(/\bat .*certificateApp\.ts:\d+/);
    expectNoSecrets(`${stdout}\n${stderr}`, [pasted]);
    expect(readFileSync(join(shared, "entra.json")).equals(before)).toBe(true);
  });

  it("a type error in a copy of index.ts fails with the compiler's message and file:line before anything is created", async () => {
    const copy = join(temp, "project-copy");
    mkdirSync(copy);
    for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"]) cpSync(join(root, f), join(copy, f));
    cpSync(join(root, "components"), join(copy, "components"), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
    writeFileSync(join(copy, "index.ts"), `${readFileSync(join(copy, "index.ts"), "utf8")}\nconst n: number = "x";\n`);
    const dir = seeded("type-error");
    const { code, stderr } = await rehearse(["--dir", dir], copy);
    expect(code).toBe(2);
    expect(stderr).toMatch(/index\.ts[(:]\d+[,:]\d+\)?.*TS2322: Type 'string' is not assignable to type 'number'/);
    expect(JSON.parse(readFileSync(join(dir, "entra.json"), "utf8")).applications).toEqual([]);
  });
});

describe("a deployer that holds only Application.ReadWrite.OwnedBy (deployer.json roles)", () => {
  it("is warned at preview when owners drops it; that update goes through, and the next change is refused by Graph: 403", {
    timeout: 120_000,
  }, async () => {
    const dir = seeded("owned-by");
    const deployer = { clientId: randomUUID(), objectId: randomUUID(), roles: ["Application.ReadWrite.OwnedBy"] };
    writeFileSync(join(dir, "deployer.json"), JSON.stringify(deployer));
    // Only the run that drops the deployer is previewed: each program start costs about a second of CPU.
    const updateOnly: RunEngine = (run) =>
      run.dryRun
        ? Promise.resolve({
            outputs: {},
            secretOutputNames: [],
            steps: [],
            timings: { start: 0, load: 0, resources: 0, deletes: 0, total: 0 },
          })
        : runEngine(run);
    expect((await rehearse(["--dir", dir], root, updateOnly)).code).toBe(0);
    const other = randomUUID();
    const dropped = await rehearse(["--dir", dir, "--config", `owners[0]=${other}`]);
    // The preview prints the program's warning before its summary line, before anything changes.
    const warned = dropped.stdout.indexOf(`owners does not include the deployer ${deployer.objectId}`);
    expect(warned).toBeGreaterThanOrEqual(0);
    expect(warned).toBeLessThan(dropped.stdout.indexOf("rehearsal: preview: "));
    expect(dropped.code).toBe(0);
    const apps = JSON.parse(readFileSync(join(dir, "entra.json"), "utf8")).applications as { owners?: string[] }[];
    expect(apps.map((a) => a.owners)).toEqual(apps.map(() => [other]));
    // The next change, as the next update's provider would make it (a program start fewer): attaching a credential.
    const entra = await start({ state: join(dir, "entra.json") });
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey, deployer);
      const outputs = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")) as Outputs;
      const refused = await applicationCertificate(graph)
        .create({
          applicationId: `/applications/${String(outputs.applicationObjectId)}`,
          type: "AsymmetricX509Cert",
          value: String(outputs.certificatePem),
        })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GraphError);
      expect([(refused as GraphError).status, (refused as GraphError).graphCode]).toEqual([
        403,
        "Authorization_RequestDenied",
      ]);
    } finally {
      await entra.stop();
    }
  });
});

describe("the folder is never someone else's", () => {
  it("a non-empty foreign --dir survives untouched, exit 2", async () => {
    const dir = join(temp, "foreign");
    mkdirSync(dir);
    writeFileSync(join(dir, "keep.txt"), "mine");
    const { code, stderr } = await rehearse(["--dir", dir, "--fresh"]);
    expect(code).toBe(2);
    expect(stderr).toContain("is not empty and was not made by the rehearsal");
    expect(readdirSync(dir)).toEqual(["keep.txt"]);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("mine");
  });
});

describe("the executable", () => {
  it("npm start on a new folder: the compiled CLI exits 0, reports its phases, the type-check among them, and finds every file in ts-node's cache warmed at install", () => {
    const first = run(0);
    expect(first.code).toBe(0);
    // The 5 s budget is measured by `npm run bench` on an idle machine, not asserted on two shared cores.
    expect(first.stdout).toMatch(
      /^rehearsal: done in [\d.]+ s \(.*preview [\d.]+ s, update [\d.]+ s.*; the program's load and type-check took [\d.]+ s of the preview and update\)$/m,
    );
    // scripts/warm-typecheck.js (prepare) left a compiled, type-checked file for each of the program's files.
    expect(cache.before.length).toBeGreaterThanOrEqual(3);
    expect(cache.after).toEqual(cache.before);
  });

  it("a second run on a busy folder is refused at once; Ctrl-C mid-update ends with exit 130, releases the folder, and the next run goes on", {
    timeout: 120_000,
  }, async () => {
    const dir = seeded("interrupted");
    const child = runScript("rehearsal/main.ts", ["--dir", dir]);
    if (child.child.pid) spawned.push(child.child.pid);
    await new Promise<void>((resolve) => {
      child.child.stdout?.on("data", (c: Buffer) => {
        if (c.toString().includes("updating the stack")) resolve();
      });
    });
    // A second run on the same folder meanwhile is refused at once, naming the first one's pid.
    const second = await rehearse(["--dir", dir]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`is in use by another rehearsal (pid ${child.child.pid})`);
    child.child.kill("SIGINT");
    const { code, stderr } = await child.done;
    printed.push(stderr);
    expect(code).toBe(130);
    expect(stderr).toMatch(/^rehearsal: interrupted: /m);
    expect(existsSync(join(dir, ".rehearsal.lock"))).toBe(false);
    expect((await rehearse(["--dir", dir, "--preview"])).code).toBe(0);
  });
});

describe("secrets", () => {
  it("nothing printed holds a private key, a PFX or its password, the admin key or a token", () => {
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const all = printed.join("\n");
    expectNoSecrets(
      all,
      secrets.filter((s) => s.includes("PRIVATE KEY")),
    );
    const squashed = all.replace(/\s+/g, "").toLowerCase();
    for (const secret of secrets) {
      const body = secret
        .replace(/-----[^-]+-----/g, "")
        .replace(/\s+/g, "")
        .toLowerCase();
      const which = `secret ${secrets.indexOf(secret) + 1}`;
      if (body.length < 40) {
        expectHolds(squashed, body, `the output holds ${which}`, false);
        continue;
      }
      for (let i = 0; i + 40 <= body.length; i += 40)
        expectHolds(squashed, body.slice(i, i + 40), `the output holds characters ${i}-${i + 39} of ${which}`, false);
    }
  });

  it("the stack's checkpoint holds no private key in the clear", () => {
    const checkpoint = readFileSync(join(shared, "stacks", "rehearsal", "checkpoint.json"), "utf8");
    const keys = secrets.filter((s) => s.includes("PRIVATE KEY"));
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expectNoSecrets(checkpoint, keys);
  });

  it("leaves no process it started running", () => {
    for (const pid of spawned) expect(isRunning(pid), `pid ${pid}`).toBe(false);
  });
});
