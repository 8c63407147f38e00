import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../common/root";
import { type LocalEntra, start } from "../entra/server";
import { humanReport, scrub } from "../verify/report";
import { runVerify } from "../verify/run";
import { projectFile, stackConfig } from "./config";
import type { DeployJob, DeployMessage } from "./deploy";
import { DeploymentError, runDeployment } from "./deployment";
import type { ProbeResult } from "./probe";

export interface RehearsalOptions {
  /** Where the rehearsal leaves outputs.json, entra.json and ca.pem. */
  dir: string;
  config: string[];
  propagationDelaySeconds: number;
  rotate: boolean;
  /** verify's deadline, seconds. */
  timeoutSeconds: number;
}

/** Exit codes beyond verify's own. */
export const rehearsalExitCodes = { configError: 2, deploymentFailed: 7, rotationGap: 8 } as const;

export interface RehearsalResult {
  exitCode: number;
  phases: Record<string, number>;
}

// From the sources or from dist/: the folder holding Pulumi.yaml.
const root = projectRoot(__dirname);

/**
 * The offline rehearsal: the real program deployed by the local engine into
 * the local Entra ID, then verify against it; with `rotate`, a second
 * deployment that rotates the certificate while probing both.
 */
export async function runRehearsal(options: RehearsalOptions, say: (line: string) => void): Promise<RehearsalResult> {
  const phases: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await work();
    } finally {
      phases[phase] = Date.now() - t;
    }
  };
  const overrides = options.config;
  stackConfig(root, overrides); // fail on bad --config before anything starts
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const entra = await timed("start local Entra ID", () =>
    start({ state: join(options.dir, "entra.json"), propagationDelaySeconds: options.propagationDelaySeconds }),
  );
  say(
    `local Entra ID at ${entra.authorityHost}, tenant ${entra.tenantId}${options.propagationDelaySeconds ? `, propagation delay ${options.propagationDelaySeconds} s` : ""}`,
  );
  try {
    const job = deployJob(options, entra, overrides);
    say("deploying the program (index.ts) with the local engine");
    const deployed = await timed("deploy", () => deployOnce(job, say));
    if (deployed !== 0) return { exitCode: deployed, phases };
    let exitCode = await timed("verify", () => verifyOutputs(options, entra, say));
    if (exitCode === 0 && options.rotate) {
      const rotation = `${new Date().toISOString()}-${randomUUID().slice(0, 8)}`;
      say(`rotating: a second deployment with rotation=${rotation}`);
      const rotateJob = {
        ...deployJob(options, entra, [...overrides, `rotation=${rotation}`]),
        deployer: job.deployer,
        probeRotation: true,
      };
      const gaps: string[] = [];
      const rotated = await timed("rotate", () => deployOnce(rotateJob, say, gaps));
      if (rotated !== 0) return { exitCode: rotated, phases };
      if (gaps.length > 0) {
        say(
          `ROTATION GAP: no certificate was accepted ${gaps.join("; ")}. With replication delays, keep the outgoing certificate attached (previousCertificatePem) until the new one is usable.`,
        );
        return { exitCode: rehearsalExitCodes.rotationGap, phases };
      }
      say("rotation kept a working certificate at every step");
      exitCode = await timed("verify after rotation", () => verifyOutputs(options, entra, say));
    }
    if (exitCode === 0) nextSteps(options, entra).forEach((line) => say(line));
    return { exitCode, phases };
  } finally {
    await entra.stop();
  }
}

function deployJob(options: RehearsalOptions, entra: LocalEntra, overrides: string[]): DeployJob {
  const project = projectFile(root).name;
  const config = stackConfig(root, overrides);
  // Point the exported authority at the local Entra ID unless the user chose one.
  if (!overrides.some((o) => o.startsWith("authorityHost="))) config[`${project}:authorityHost`] = entra.authorityHost;
  return {
    program: join(root, "index.ts"),
    project,
    stack: "rehearsal",
    config,
    checkpointPath: join(options.dir, "checkpoint.json"),
    outputsPath: join(options.dir, "outputs.json"),
    entra: {
      authorityHost: entra.authorityHost,
      caPem: entra.caPem,
      tenantId: entra.tenantId,
      adminKey: entra.adminKey,
    },
    deployer: { clientId: randomUUID(), objectId: randomUUID() },
    probeRotation: false,
  };
}

async function deployOnce(job: DeployJob, say: (line: string) => void, gaps: string[] = []): Promise<number> {
  try {
    await runDeployment(job, (m) => describe(m, say, gaps));
    return 0;
  } catch (err) {
    if (!(err instanceof DeploymentError)) throw err;
    say(`deployment failed: ${err.message}`);
    return err.configError ? rehearsalExitCodes.configError : rehearsalExitCodes.deploymentFailed;
  }
}

const shortType = (type: string) => type.split(":").pop();

function describe(m: DeployMessage, say: (line: string) => void, gaps: string[]): void {
  if (m.kind === "step" && m.step.op !== "same")
    say(`  ${m.step.op.padEnd(7)} ${shortType(m.step.type)} ${m.step.name}`);
  if (m.kind === "probe") {
    say(`  probe ${m.moment}: ${m.results.map(probeText).join(", ")}`);
    if (!m.results.some((r) => r.accepted)) gaps.push(m.moment);
  }
  if (m.kind === "done") say(`  stack outputs: ${m.outputNames.join(", ")}`);
}

const probeText = (r: ProbeResult) => `${r.label} ${r.accepted ? "accepted" : `refused (${r.reason})`}`;

async function verifyOutputs(
  options: RehearsalOptions,
  entra: LocalEntra,
  say: (line: string) => void,
): Promise<number> {
  say("verifying: token with msal-node, then the checks");
  const outputs = join(options.dir, "outputs.json");
  const report = await runVerify(
    {
      outputs,
      caFile: entra.caPath,
      authorityHost: entra.authorityHost,
      thumbprint: "sha256",
      timeoutSeconds: options.timeoutSeconds,
      warnDays: 30,
      json: false,
      help: false,
    },
    // The outputs come from the file, never stdin.
    { env: {}, readStdin: async () => "", progress: (line) => say(`  ${line}`) },
  );
  for (const line of scrub(humanReport(report), report.secrets).trimEnd().split("\n")) say(line);
  return report.exitCode;
}

function nextSteps(options: RehearsalOptions, entra: LocalEntra): string[] {
  const dir = options.dir;
  return [
    `left in ${dir}: outputs.json (what \`pulumi stack output --json --show-secrets\` prints), entra.json (the directory), ca.pem`,
    "serve it again and verify it again:",
    `  npm run entra -- --state ${join(dir, "entra.json")} --port ${entra.port}`,
    `  npm run verify -- --outputs ${join(dir, "outputs.json")} --authority-host ${entra.authorityHost} --ca-file ${join(dir, "ca.pem")}`,
  ];
}
