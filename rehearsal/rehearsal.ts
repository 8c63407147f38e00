import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../common/errors";
import { type Redactor, redactor } from "../common/redact";
import { projectRoot } from "../common/root";
import { isGuid } from "../common/safe";
import { LocalEntraError } from "../entra/errors";
import { type LocalEntra, start } from "../entra/server";
import { humanClientsReport, runAllClients } from "../verify/clients";
import { humanReport } from "../verify/report";
import { runVerify } from "../verify/run";
import { earlierClientFiles, writeClientFiles } from "./clientFiles";
import { type ConfigValue, readRemembered, stackConfig, stackNameOf } from "./config";
import type { EngineResult, EngineRun, RunEngine } from "./engine";
import { loadCheckpoint, stackOutputsOf } from "./engine/checkpoint";
import { toPlainMap } from "./engine/wire";
import { DeploymentError, exitCodes, FolderError, RehearsalError, RehearsalInputError } from "./errors";
import { claimFolder, markerName } from "./folder";
import { type RehearsalVault, startRehearsalVault } from "./keyVault";
import { planSummary, stepLine } from "./plan";
import { localProviders } from "./providers";
import { clientsProber, rotationProber } from "./rotation";

export interface RehearsalOptions {
  /** The rehearsal's folder: the stack, the local Entra ID's state, the outputs and the client's files. */
  dir: string;
  /** `--config key=value` as `pulumi config set`; `key[0]=v` as `--path`. */
  config: string[];
  /** A Pulumi.<stack>.yaml to read config from. */
  stackFile?: string;
  /** Print the plan and change nothing. */
  preview: boolean;
  /** Start the stack over: delete what earlier runs wrote in the folder. */
  fresh: boolean;
  propagationDelaySeconds: number;
  rotate: boolean;
  /** verify's deadline, seconds. */
  timeoutSeconds: number;
  /** Key Vault mode: the client's key is made in a local Key Vault and verify signs through it. */
  keyVault?: boolean;
  /** Another program's folder (its Pulumi.yaml) to rehearse instead of the project's own. */
  program?: string;
}

/** How a run reaches the world; tests pass their own. */
export interface RehearsalIO {
  cwd: string;
  /** One line of output, already scrubbed of secrets. */
  say(line: string): void;
  runEngine: RunEngine;
  signal?: AbortSignal;
}

/** The phase that is part of the program runs (programPhases): the engine's load, type-check included. */
const loadPhase = "program load and type-check";
/** The phases that run the program, in the order they happen. */
const programPhases = ["preview", "update", "rotate preview", "rotate"];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The closing line's figures: the phases one after another, then the program's load and type-check, which happens
 * inside the program runs (programPhases) and so is named as a part of them rather than beside them.
 */
export function closingTimings(phases: Record<string, number>): string {
  const { [loadPhase]: load, ...sequential } = phases;
  const listed = Object.entries(sequential)
    .map(([k, ms]) => `${k} ${seconds(ms)}`)
    .join(", ");
  if (load === undefined) return listed;
  const runs = programPhases.filter((p) => p in sequential);
  const of = runs.length > 1 ? `${runs.slice(0, -1).join(", ")} and ${runs.at(-1)}` : runs.join("");
  return `${listed}; the program's load and type-check took ${seconds(load)} of the ${of}`;
}

export interface RehearsalResult {
  exitCode: number;
  phases: Record<string, number>;
}

const secretOutputs = ["privateKeyPem", "certificatePfx", "pfxPassword"];

type Deployer = { clientId: string; objectId: string; roles?: string[] };

/**
 * The deploying identity getClientConfig reports: the same one across runs, or owners would change. Its optional
 * `roles` are the Microsoft Graph application permissions it holds (e.g. ["Application.ReadWrite.OwnedBy"]); the
 * local Graph then applies Graph's rule for them. Without `roles` it holds Application.ReadWrite.All.
 */
function deployerOf(dir: string): Deployer {
  const path = join(dir, "deployer.json");
  if (!existsSync(path)) {
    const deployer = { clientId: randomUUID(), objectId: randomUUID() };
    writeFileSync(path, `${JSON.stringify(deployer, null, 2)}\n`);
    return deployer;
  }
  let read: unknown;
  try {
    read = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    read = undefined;
  }
  const d = (typeof read === "object" && read !== null ? read : {}) as Record<string, unknown>;
  const roles = d.roles;
  if (
    !isGuid(d.clientId) ||
    !isGuid(d.objectId) ||
    (roles !== undefined && (!Array.isArray(roles) || !roles.every((r) => typeof r === "string" && /^[\w.]+$/.test(r))))
  )
    throw new RehearsalInputError(
      `${path} must hold {"clientId": GUID, "objectId": GUID} and optionally "roles": a list of Graph application permission names; fix it, or remove it for a new deployer`,
    );
  return { clientId: d.clientId, objectId: d.objectId, ...(Array.isArray(roles) ? { roles: roles as string[] } : {}) };
}

/**
 * The offline rehearsal, as `pulumi up` runs: stack config checked as the CLI
 * checks it, a preview, then the update against the folder's stack, then
 * verify; with `rotate`, a second update that rotates while probing.
 */
export async function runRehearsal(options: RehearsalOptions, io: RehearsalIO): Promise<RehearsalResult> {
  const redact = redactor();
  const say = (line: string) => io.say(redact(line));
  const phases: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] = (phases[phase] ?? 0) + (performance.now() - t);
    }
  };
  // Everything that can be refused is refused before the folder is touched.
  const root = options.program ? programFolder(options.program) : pulumiProject(io.cwd);
  // What `--config` set in earlier runs that updated this stack, read only from a folder the rehearsal made.
  const rememberedPath = join(options.dir, `config-${stackNameOf(options.stackFile)}.json`);
  const ours = existsSync(join(options.dir, markerName));
  const remembered = ours && !options.fresh ? readRemembered(rememberedPath) : {};
  const base = stackConfig(root, { stackFile: options.stackFile, overrides: options.config, remembered });
  const carried = Object.keys(remembered).filter(
    (k) => !options.config.some((c) => c.startsWith(`${k.split(":").pop()}`)),
  );
  if (carried.length > 0)
    say(
      `config kept from earlier runs' --config and --rotate (as pulumi config set keeps it; --fresh forgets): ${carried.map((k) => k.split(":").pop()).join(", ")}`,
    );
  for (const key of base.undeclared)
    say(
      `warning: ${key} is not declared in Pulumi.yaml; like the CLI the rehearsal passes it on, and the program never reads it (declared: ${Object.keys(base.project.config).join(", ")})`,
    );
  // A stack deployed in Key Vault mode stays in it: without the vault its certificates could not even be deleted.
  const keptVault = !options.keyVault && !options.fresh && ours && existsSync(join(options.dir, "keyvault.json"));
  if (keptVault) say("this folder was set up with --key-vault: continuing in Key Vault mode (--fresh starts over)");
  const keyVaultMode = options.keyVault === true || keptVault;
  const folder = claimFolder(options.dir, { fresh: options.fresh });
  try {
    const resumed = existsSync(join(options.dir, "stacks", base.stack));
    const entra = await timed("start local Entra ID", () =>
      start({ state: join(options.dir, "entra.json"), propagationDelaySeconds: options.propagationDelaySeconds }).catch(
        (err: unknown) => {
          // `npm run entra` serving this folder holds its state: the fix here is the rehearsal's, not the server's.
          if (err instanceof LocalEntraError && err.code === "ERR_STATE_LOCKED")
            throw new FolderError(
              "ERR_FOLDER_LOCKED",
              `${options.dir} is being served by a local Entra ID (npm run entra); stop it, or pass another --dir`,
            );
          throw err;
        },
      ),
    );
    const adminKey = entra.adminKey;
    redact.add(adminKey);
    say(
      `local Entra ID at ${entra.authorityHost}, tenant ${entra.tenantId}${resumed ? ` (stack ${base.stack} from an earlier run, continued)` : ""}${options.propagationDelaySeconds ? `, propagation delay ${options.propagationDelaySeconds} s` : ""}`,
    );
    let vault: RehearsalVault | undefined;
    try {
      if (keyVaultMode) {
        vault = await timed("start local Key Vault", () => startRehearsalVault(options.dir, entra));
        for (const secret of vault.secrets) redact.add(secret);
        say(
          `local Key Vault at ${vault.vault.vaultUrl} (keyVaultId ${vault.keyVaultId}); the deployer may manage certificates, the pipeline identity may sign`,
        );
      }
      const deployer = deployerOf(options.dir);
      const engineRun = (overrides: string[], dryRun: boolean, extra: Partial<EngineRun> = {}): EngineRun => {
        const { config, secretKeys, setKeys, stack, project } = stackConfig(root, {
          stackFile: options.stackFile,
          overrides,
          remembered,
        });
        // Point the exported authority at the local Entra ID unless the user chose one.
        if (!setKeys.includes("authorityHost")) config[`${project.name}:authorityHost`] = entra.authorityHost;
        // Key Vault mode: the local vault's ARM id, and the subscription azurerm needs to look it up.
        if (vault && !setKeys.includes("keyVaultId")) config[`${project.name}:keyVaultId`] = vault.keyVaultId;
        if (vault && config["azure:subscriptionId"] === undefined)
          config["azure:subscriptionId"] = vault.keyVaultId.split("/")[2] ?? "";
        return {
          root,
          project: project.name,
          stack,
          organization: "organization",
          config,
          secretKeys,
          dryRun,
          // One state per stack, as a backend keeps them.
          stateDir: join(options.dir, "stacks", stack),
          // The engine is handed the providers; it picks none itself.
          providers: localProviders({
            entra: { authorityHost: entra.authorityHost, caPem: entra.caPem, tenantId: entra.tenantId, adminKey },
            deployer,
            ...(vault ? { keyVault: vault.access } : {}),
          }),
          secrets: [adminKey],
          onEvent: (e) => {
            if (e.kind === "diagnostic" && e.severity !== "debug") say(`  ${e.severity}: ${e.message}`);
            if (e.kind === "step" && !dryRun && e.step.op !== "same") say(stepLine(e.step));
            // The program's load, type-check included, as a figure of its own (what the warmed ts-node cache saves shows here).
            if (e.kind === "timings") phases[loadPhase] = (phases[loadPhase] ?? 0) + e.timings.load;
          },
          signal: io.signal,
          ...extra,
        };
      };

      const planned = await timed("preview", () => preview(io.runEngine, engineRun(options.config, true)));
      if (options.preview) {
        for (const step of planned.steps) say(stepLine(step));
        say(`preview: ${planSummary(planned.steps)}; nothing was changed`);
        return { exitCode: 0, phases };
      }
      say(`preview: ${planSummary(planned.steps)}`);
      const probeVault = vault
        ? { credential: vault.pipeline.credential, caPem: readFileSync(vault.caBundlePath, "utf8") }
        : undefined;
      // A stack of many clients that changes: every client that stays is probed at each step, as --rotate probes.
      const priorClients = clientsOf(lastOutputs(join(options.dir, "stacks", base.stack)));
      const changes = planned.steps.some((s) => s.op !== "same" && s.op !== "read");
      const watch =
        priorClients && changes
          ? clientsProber(
              priorClients,
              clientNames(base.config[`${base.project.name}:clients`]),
              entra,
              say,
              undefined,
              probeVault,
            )
          : undefined;
      say(`updating the stack ${base.stack} (${options.program ?? "index.ts"}) with the local engine`);
      if (watch) {
        const removed = watch.removed.length > 0 ? `removed at the end of the update: ${watch.removed.join(", ")}` : "";
        say(
          watch.staying.length > 0
            ? `probing every client that stays (${watch.staying.join(", ")}) at each step${removed ? `; ${removed}` : ""}`
            : `no client stays; ${removed}`,
        );
        await watch.probe("before the update");
      }
      const result = await timed("update", () =>
        update(io.runEngine, engineRun(options.config, false, watch ? { afterStep: watch.afterStep } : {})),
      );
      keep(result, options.dir, entra, redact, vault);
      remember(rememberedPath, base.remember);
      if (watch) {
        watch.learn(result.outputs);
        await watch.probe("after the update");
        const stillAccepted = await watch.probeRemoved();
        if (watch.gaps.length > 0) {
          say(
            `CLIENT GAP: a client that stays got no token ${watch.gaps.join("; ")}. Changing one client must not interrupt the others.`,
          );
          return { exitCode: exitCodes.rotationGap, phases };
        }
        if (stillAccepted.length > 0) {
          say(
            `REMOVED CLIENT STILL ACCEPTED: ${stillAccepted.join(", ")} still got a token after the update that removed it`,
          );
          return { exitCode: exitCodes.deploymentFailed, phases };
        }
        say("every client that stays kept getting tokens at every step");
      }
      let exitCode = await timed("verify", () => verifyOutputs(options, entra, say, vault));
      /** The outputs the run ends with: the rotation's, when it rotates. */
      let last = result.outputs;
      if (exitCode === 0 && options.rotate) {
        const rotation = `${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
        const many = clientsOf(result.outputs);
        // A client that sets its own rotation does not take the top-level one: it gets the new value by its path.
        const pinned = many ? ownRotations(base.config[`${base.project.name}:clients`]) : [];
        const overrides = [
          ...options.config,
          `rotation=${rotation}`,
          ...pinned.map((name) => `clients.${name}.rotation=${rotation}`),
        ];
        say(
          many
            ? `rotating every client (${Object.keys(many).join(", ")}): an update with rotation=${rotation}, probing each one's previous and new certificate at each step`
            : `rotating: an update with rotation=${rotation}, probing the previous and the new certificate at each step`,
        );
        const rotatePlan = await timed("rotate preview", () => preview(io.runEngine, engineRun(overrides, true)));
        say(`preview: ${planSummary(rotatePlan.steps)}`);
        const prober = many
          ? clientsProber(many, Object.keys(many), entra, say, undefined, probeVault)
          : rotationProber(result.outputs, entra, say, undefined, probeVault);
        await prober.probe("before the update");
        const rotated = await timed("rotate", () =>
          update(io.runEngine, engineRun(overrides, false, { afterStep: prober.afterStep })),
        );
        keep(rotated, options.dir, entra, redact, vault);
        remember(rememberedPath, stackConfig(root, { stackFile: options.stackFile, overrides, remembered }).remember);
        prober.learn(rotated.outputs);
        last = rotated.outputs;
        await prober.probe("after the update");
        if (prober.gaps.length > 0) {
          say(
            `ROTATION GAP: no certificate was accepted ${prober.gaps.join("; ")}. Keep the outgoing certificate attached until the new one is usable.`,
          );
          return { exitCode: exitCodes.rotationGap, phases };
        }
        say("rotation kept a working certificate at every step");
        exitCode = await timed("verify after rotation", () => verifyOutputs(options, entra, say, vault));
      }
      if (exitCode === 0)
        for (const line of nextSteps(options.dir, entra, last, vault, clientsOf(last) !== undefined)) say(line);
      return { exitCode, phases };
    } finally {
      await vault?.stop();
      await entra.stop();
    }
  } finally {
    folder.release();
  }
}

/** A program given by --program: a folder with its Pulumi.yaml, as `pulumi up --cwd <folder>` takes it. */
function programFolder(dir: string): string {
  if (!existsSync(join(dir, "Pulumi.yaml")))
    throw new RehearsalInputError(`--program ${dir}: no Pulumi.yaml in that folder; give a Pulumi program's folder`);
  return dir;
}

/** The project the CLI would run: found from the working directory, as `pulumi up` finds Pulumi.yaml. */
function pulumiProject(cwd: string): string {
  let root: string;
  try {
    root = projectRoot(cwd);
  } catch {
    root = cwd;
  }
  if (!existsSync(join(root, "Pulumi.yaml")))
    throw new RehearsalInputError(
      `no Pulumi.yaml beside the package.json at or above ${cwd}; run npm start in the project`,
    );
  return root;
}

/** Keeps this run's `--config` for the next runs, as `pulumi config set` keeps it in the stack's config (0600: a value may be a key). */
function remember(path: string, values: Record<string, ConfigValue>): void {
  if (Object.keys(values).length === 0) return;
  writeFileSync(path, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
}

function interrupted(signal: AbortSignal | undefined): RehearsalError | undefined {
  if (!signal?.aborted) return undefined;
  return new RehearsalError(
    "ERR_INTERRUPTED",
    "interrupted: the engine stopped between steps and kept a checkpoint of what exists; run again to continue, or with --fresh to start over",
    exitCodes.interrupted,
  );
}

/** The preview `pulumi up` runs first: if it fails, nothing has changed and nothing will. */
async function preview(runEngine: RunEngine, run: EngineRun): Promise<EngineResult> {
  try {
    return await runEngine(run);
  } catch (err) {
    throw (
      interrupted(run.signal) ??
      new RehearsalError(
        "ERR_DEPLOYMENT",
        `preview failed, nothing was changed: ${messageOf(err)}`,
        // A preview fails on the program or its config: the user's input.
        exitCodes.input,
      )
    );
  }
}

async function update(runEngine: RunEngine, run: EngineRun): Promise<EngineResult> {
  try {
    return await runEngine(run);
  } catch (err) {
    throw interrupted(run.signal) ?? new DeploymentError(`update failed: ${messageOf(err)}`);
  }
}

/** Leaves the run's outputs: outputs.json (the latest), history/ (every run's), and the client's files. */
function keep(result: EngineResult, dir: string, entra: LocalEntra, redact: Redactor, vault?: RehearsalVault): void {
  for (const name of [...secretOutputs, ...result.secretOutputNames]) redact.add(result.outputs[name]);
  const clients = clientsOf(result.outputs);
  for (const outputs of Object.values(clients ?? {})) for (const name of secretOutputs) redact.add(outputs[name]);
  const text = `${JSON.stringify(result.outputs, null, 2)}\n`;
  writeFileSync(join(dir, "outputs.json"), text, { mode: 0o600 });
  const history = join(dir, "history");
  mkdirSync(history, { recursive: true });
  const n = readdirSync(history).filter((f) => /^outputs-\d+\.json$/.test(f)).length + 1;
  writeFileSync(join(history, `outputs-${String(n).padStart(3, "0")}.json`), text, { mode: 0o600 });
  // In Key Vault mode the client holds no key file: it signs through the vault.
  if (vault) return;
  const context = { authorityHost: entra.authorityHost, caPath: entra.caPath };
  if (!clients) {
    writeClientFiles(dir, result.outputs, context);
    return;
  }
  // Many clients: each one's files in clients/<name>/ (names are letters, digits and dashes: no path tricks).
  for (const [name, outputs] of Object.entries(clients)) {
    const own = join(dir, "clients", name);
    mkdirSync(own, { recursive: true, mode: 0o700 });
    writeClientFiles(own, outputs, context);
  }
}

/** The stack's outputs as its last update left them in the checkpoint (`pulumi stack output`), secrets revealed. */
function lastOutputs(stateDir: string): Record<string, unknown> {
  try {
    return toPlainMap(stackOutputsOf(loadCheckpoint(stateDir)));
  } catch {
    // An unreadable checkpoint is the engine's to report, as it does at the update; there is nothing to probe.
    return {};
  }
}

/** The clients a resolved `clients` config value (JSON text) names; none when unset or not a map. */
function clientsConfig(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = text === undefined ? undefined : JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

const clientNames = (text: string | undefined) => Object.keys(clientsConfig(text));

/** The clients that set their own `rotation`. */
const ownRotations = (text: string | undefined) =>
  Object.entries(clientsConfig(text))
    .filter(([, v]) => typeof v === "object" && v !== null && "rotation" in v)
    .map(([name]) => name);

/** A stack of many clients' `clients` output: each client's outputs by name; undefined for a single-client stack. */
export function clientsOf(outputs: Record<string, unknown>): Record<string, Record<string, unknown>> | undefined {
  const clients = outputs.clients;
  if (typeof clients !== "object" || clients === null || Array.isArray(clients)) return undefined;
  return clients as Record<string, Record<string, unknown>>;
}

async function verifyOutputs(
  options: RehearsalOptions,
  entra: LocalEntra,
  say: (line: string) => void,
  vault?: RehearsalVault,
): Promise<number> {
  say(
    vault
      ? "verifying: token with msal-node, the client assertion signed in the local Key Vault as the pipeline identity, then the checks"
      : "verifying: token with msal-node, then the checks",
  );
  const verifyOptions = {
    outputs: join(options.dir, "outputs.json"),
    caFile: vault ? vault.caBundlePath : entra.caPath,
    authorityHost: entra.authorityHost,
    thumbprint: "sha256" as const,
    timeoutSeconds: options.timeoutSeconds,
    warnDays: 30,
  };
  // The outputs come from the file, never stdin. In Key Vault mode verify signs as the pipeline identity.
  const verifyIO = {
    env: {},
    readStdin: async () => "",
    progress: (line: string) => say(`  ${line}`),
    ...(vault ? { vaultCredential: vault.pipeline.credential } : {}),
  };
  const redactRun = redactor();
  const saved = JSON.parse(readFileSync(verifyOptions.outputs, "utf8")) as Record<string, unknown>;
  if (clientsOf(saved)) {
    // Many clients: every one of them, concurrently, as `verify --all-clients` does.
    const all = await runAllClients({ ...verifyOptions, allClients: true }, verifyIO);
    for (const { report } of all.clients) for (const secret of report.secrets) redactRun.add(secret);
    for (const line of humanClientsReport(all).trimEnd().split("\n")) say(redactRun(line));
    return all.exitCode;
  }
  const report = await runVerify(verifyOptions, verifyIO);
  const printed = humanReport(report);
  for (const secret of report.secrets) redactRun.add(secret);
  for (const line of printed.trimEnd().split("\n")) say(redactRun(line));
  return report.exitCode;
}

function nextSteps(
  dir: string,
  entra: LocalEntra,
  outputs: Record<string, unknown>,
  vault?: RehearsalVault,
  many = false,
): string[] {
  if (many && !vault)
    return [
      `left in ${dir}: outputs.json (with \`clients\`, each client's outputs by name; every run's in history/), entra.json (the directory), ca.pem, and each client's files in clients/<name>/ (mode 0600)`,
      "run it again to update the same stack; --config clients.<name>.rotation=<value> rotates one client. Serve it again and verify every client:",
      `  npm run entra -- --state ${join(dir, "entra.json")} --port ${entra.port}`,
      `  npm run verify -- --outputs ${join(dir, "outputs.json")} --all-clients --authority-host ${entra.authorityHost} --ca-file ${join(dir, "ca.pem")}`,
    ];
  if (vault) {
    // A folder deployed without --key-vault first keeps that run's client files: their key is the generation before
    // Key Vault mode, attached until the rotation after the switch, and the line must not claim the folder holds none
    // (nor, after that rotation, that the key still works).
    const leftover = earlierClientFiles(dir, outputs);
    const earlier =
      leftover === "attached"
        ? "; client.pem, client.pfx and client.env are from a run before Key Vault mode and hold that generation's key, attached until the next rotation"
        : leftover === "detached"
          ? "; client.pem, client.pfx and client.env are from a run before Key Vault mode and hold a key no longer attached (a rotation since dropped it)"
          : "";
    return [
      `left in ${dir}: outputs.json (no private key: the client's key was made in the local Key Vault and never left it; every run's outputs in history/), entra.json and keyvault.json (the local services' state), ca-bundle.pem (both CAs), identities/ (the deployer's and the pipeline's own keys, mode 0600)${earlier}`,
      "run it again with --key-vault to update the same stack; --rotate shows the overlap. Serve both again and verify as the pipeline identity:",
      `  npm run entra -- --state ${join(dir, "entra.json")} --port ${entra.port}`,
      `  npm run keyvault -- --state ${join(dir, "keyvault.json")} --entra ${entra.authorityHost}/${entra.tenantId} --entra-ca ${entra.caPath} --port ${vault.vault.port}`,
      `  AZURE_TENANT_ID=${entra.tenantId} AZURE_CLIENT_ID=${vault.pipeline.clientId} AZURE_CLIENT_CERTIFICATE_PATH=${join(dir, "identities", "pipeline.pem")} npm run verify -- --outputs ${join(dir, "outputs.json")}${many ? " --all-clients" : ""} --authority-host ${entra.authorityHost} --ca-file ${vault.caBundlePath}`,
    ];
  }
  return [
    `left in ${dir}: outputs.json (what \`pulumi stack output --json --show-secrets\` prints; every run's in history/), entra.json (the directory), ca.pem, and the client's files client.pem, client.pfx, client.env (mode 0600)`,
    "run it again to update the same stack; --fresh starts over. Serve it again and verify it again:",
    `  npm run entra -- --state ${join(dir, "entra.json")} --port ${entra.port}`,
    `  npm run verify -- --outputs ${join(dir, "outputs.json")} --authority-host ${entra.authorityHost} --ca-file ${join(dir, "ca.pem")}`,
  ];
}
