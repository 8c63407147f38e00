import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalEngine, type StateEntry, type Step } from "./engine";
import { graphClient } from "./graph";
import { legacyRandomPassword } from "./legacyRandom";
import { localProvider } from "./providers";

/**
 * The child process of the legacy engine (the mock-monitor engine that
 * stands in for `rehearsal/engine/` until it lands): one preview or update of
 * the program, in a process of its own because the Pulumi runtime keeps its
 * state in module globals.
 */
export interface LegacyJob {
  program: string;
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  dryRun: boolean;
  checkpointPath: string;
  entra: { authorityHost: string; caPem: string; tenantId: string; adminKey: string };
  deployer: { clientId: string; objectId: string };
  /** Wait for the parent's "continue" after each applied step (the afterStep hook). */
  pauseAfterSteps: boolean;
}

export type LegacyMessage =
  | { kind: "step"; seq: number; step: Step; outputs?: Record<string, unknown> }
  | { kind: "done"; outputs: Record<string, unknown>; secretOutputNames: string[] }
  | { kind: "failed"; message: string };

// Steps run concurrently: each waits for the parent's "continue" carrying its own number.
const waiting = new Map<number, () => void>();
let nextSeq = 0;
const continued = (seq: number) => new Promise<void>((resolve) => waiting.set(seq, resolve));

async function run(job: LegacyJob, send: (m: LegacyMessage) => void): Promise<void> {
  const previous: StateEntry[] = existsSync(job.checkpointPath)
    ? JSON.parse(readFileSync(job.checkpointPath, "utf8"))
    : [];
  // The last update's outputs: what the program's StackReference to its own stack reads.
  const savedPath = join(dirname(job.checkpointPath), "outputs.json");
  const saved = existsSync(savedPath) ? JSON.parse(readFileSync(savedPath, "utf8")) : {};
  const directory = graphClient(job.entra.authorityHost, job.entra.caPem, job.entra.tenantId, job.entra.adminKey);
  const provider = localProvider(directory, job.deployer);
  provider.resources["random:index/randomPassword:RandomPassword"] = legacyRandomPassword;
  let engine: LocalEngine | undefined;
  engine = new LocalEngine(
    provider,
    previous,
    async (step) => {
      const made = engine?.registered.find((r) => r.urn === step.urn && r.op === step.op);
      // The new key and certificate go to the parent so that rotation probes can try them.
      const outputs = made && step.type.startsWith("tls:") ? made.outputs : undefined;
      const seq = nextSeq++;
      const resumed = continued(seq);
      send({ kind: "step", seq, step, outputs });
      if (job.pauseAfterSteps && !job.dryRun) await resumed;
      waiting.delete(seq);
    },
    saved,
    job.dryRun,
  ).install(job.project, job.stack);
  pulumi.runtime.setAllConfig(job.config, job.secretKeys);
  const { outputs, secretOutputNames } = await stackOutputs(job.program);
  const checkpoint = await engine.finish();
  const failures = [...engine.failures, ...rejections];
  if (failures.length > 0) throw new Error([...new Set(failures.map((e) => e.message))].join("; "));
  if (!job.dryRun) {
    writeFileSync(job.checkpointPath, JSON.stringify(checkpoint, null, 2), { mode: 0o600 });
    writeFileSync(savedPath, JSON.stringify(outputs, null, 2), { mode: 0o600 });
  }
  send({ kind: "done", outputs, secretOutputNames });
}

/** Imports the program and resolves its exports, as the CLI records stack outputs. */
async function stackOutputs(program: string) {
  const mod = await import(program);
  const exported: Record<string, unknown> = mod.default && typeof mod.default === "object" ? mod.default : mod;
  const secretOutputNames: string[] = [];
  const entries = await Promise.all(
    Object.entries(exported)
      .filter((entry): entry is [string, pulumi.Output<unknown>] => pulumi.Output.isInstance(entry[1]))
      // Output.promise() rejects when a resource behind it failed, where apply would wait forever.
      .map(async ([k, v]) => {
        if (await pulumi.isSecret(v)) secretOutputNames.push(k);
        return [k, await (v as unknown as { promise(): Promise<unknown> }).promise()] as const;
      }),
  );
  return { outputs: Object.fromEntries(entries.filter(([, v]) => v !== undefined)), secretOutputNames };
}

// Errors inside the program's applies surface here, as they do under the CLI.
const rejections: Error[] = [];
process.on("unhandledRejection", (err) => void rejections.push(err instanceof Error ? err : new Error(String(err))));

process.on("message", (m: LegacyJob | { kind: "continue"; seq: number }) => {
  if ("kind" in m) return void waiting.get(m.seq)?.();
  const job = m;
  const send = (m: LegacyMessage) => process.send?.(m);
  run(job, send).then(
    () => process.disconnect?.(),
    (err: Error) => {
      send({ kind: "failed", message: err.message });
      process.disconnect?.();
      process.exitCode = 1;
    },
  );
});
