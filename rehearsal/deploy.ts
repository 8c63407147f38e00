import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { graphClient } from "./graph";
import { legacyRandomPassword } from "./legacyRandom";
import { type Holder, type ProbeResult, type ProbeTarget, probe } from "./probe";
import { localProvider } from "./providers";
import { LocalEngine, type StateEntry, type Step } from "./providers/legacy/engine";

/** What the parent asks of one deployment. */
export interface DeployJob {
  program: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  checkpointPath: string;
  outputsPath: string;
  entra: { authorityHost: string; caPem: string; tenantId: string; adminKey: string };
  deployer: { clientId: string; objectId: string };
  /** Try the previous and the new certificate at each credential step. */
  probeRotation: boolean;
}

export type DeployMessage =
  | { kind: "step"; step: Step }
  | { kind: "probe"; moment: string; results: ProbeResult[] }
  | { kind: "done"; outputNames: string[] }
  | { kind: "failed"; message: string; configError: boolean };

const credentialType = "azuread:index/applicationCertificate:ApplicationCertificate";

/**
 * One `pulumi up`, in a process of its own because the Pulumi runtime keeps
 * its state in module globals: the real program under the local engine,
 * against the previous checkpoint.
 */
async function deploy(job: DeployJob, send: (m: DeployMessage) => void): Promise<void> {
  const previous: StateEntry[] = existsSync(job.checkpointPath)
    ? JSON.parse(readFileSync(job.checkpointPath, "utf8"))
    : [];
  // The last deployment's outputs: what the program's StackReference to its own stack reads.
  const saved = existsSync(job.outputsPath) ? JSON.parse(readFileSync(job.outputsPath, "utf8")) : undefined;
  const before = job.probeRotation ? saved : undefined;
  const directory = graphClient(job.entra.authorityHost, job.entra.caPem, job.entra.tenantId, job.entra.adminKey);
  let engine: LocalEngine;
  const rotationProbe = before ? rotationProber(before, job, () => engine, send) : undefined;
  const provider = localProvider(directory, job.deployer);
  provider.resources["random:index/randomPassword:RandomPassword"] = legacyRandomPassword;
  engine = new LocalEngine(
    provider,
    previous,
    async (step) => {
      send({ kind: "step", step });
      if (step.type === credentialType && step.op !== "same") await rotationProbe?.(`after ${step.op} of ${step.name}`);
    },
    saved ?? {},
  ).install(job.project, job.stack);
  pulumi.runtime.setAllConfig(job.config, [`${job.project}:privateKeyPem`, `${job.project}:pfxPassword`]);

  await rotationProbe?.("before the deployment");
  const outputs = await stackOutputs(job.program);
  const checkpoint = await engine.finish();
  const failures = [...engine.failures, ...rejections];
  if (failures.length > 0) throw new Error([...new Set(failures.map((e) => e.message))].join("; "));
  writeFileSync(job.checkpointPath, JSON.stringify(checkpoint, null, 2), { mode: 0o600 });
  writeFileSync(job.outputsPath, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
  await rotationProbe?.("after the deployment");
  send({ kind: "done", outputNames: Object.keys(outputs) });
}

/** Imports the program and resolves its exports, as the CLI records stack outputs. */
async function stackOutputs(program: string): Promise<Record<string, unknown>> {
  const mod = await import(program);
  const exported: Record<string, unknown> = mod.default && typeof mod.default === "object" ? mod.default : mod;
  const entries = await Promise.all(
    Object.entries(exported)
      .filter(([, v]) => pulumi.Output.isInstance(v))
      // Output.promise() rejects when a resource behind it failed, where apply would wait forever.
      .map(async ([k, v]) => [k, await (v as unknown as { promise(): Promise<unknown> }).promise()] as const),
  );
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

/** Tries the outgoing and the incoming certificate, so the rotation shows which one works when. */
function rotationProber(
  before: Record<string, any>,
  job: DeployJob,
  engine: () => LocalEngine,
  send: (m: DeployMessage) => void,
) {
  const target: ProbeTarget = {
    tenantId: before.tenantId,
    clientId: before.clientId,
    scope: before.scope,
    authorityHost: job.entra.authorityHost,
    caPem: job.entra.caPem,
  };
  const old: Holder = {
    label: "previous certificate",
    certificatePem: before.certificatePem,
    privateKeyPem: before.privateKeyPem,
  };
  return async (moment: string) => {
    const holders = [old, ...incoming(engine(), old)];
    send({ kind: "probe", moment, results: await probe(target, holders) });
  };
}

function incoming(engine: LocalEngine, old: Holder): Holder[] {
  const made = (type: string) => engine.registered.find((r) => r.type === type && r.op !== "same" && r.op !== "delete");
  const cert = made("tls:index/selfSignedCert:SelfSignedCert")?.outputs.certPem as string | undefined;
  const key = made("tls:index/privateKey:PrivateKey")?.outputs.privateKeyPem as string | undefined;
  if (!cert || !key || cert === old.certificatePem) return [];
  return [{ label: "new certificate", certificatePem: cert, privateKeyPem: key }];
}

// Errors inside the program's applies surface here, as they do under the CLI.
const rejections: Error[] = [];
process.on("unhandledRejection", (err) => void rejections.push(err instanceof Error ? err : new Error(String(err))));

// Child side: take the job from the parent, report back, exit.
process.once("message", (job: DeployJob) => {
  const send = (m: DeployMessage) => process.send?.(m);
  deploy(job, send).then(
    () => process.disconnect?.(),
    (err: Error) => {
      send({
        kind: "failed",
        message: err.message,
        configError: (err as { code?: string }).code === "ERR_CONFIG_INVALID",
      });
      process.disconnect?.();
      process.exitCode = 1;
    },
  );
});
