import { mkdirSync } from "node:fs";
import { liveRedactor } from "../../common/redact";
import { builtinReads } from "./builtins";
import { loadCheckpoint, saveCheckpoint, stackOutputsOf } from "./checkpoint";
import { Deployment } from "./deployment";
import { AbortedError, CheckpointError, ProgramError, ResourceError } from "./errors";
import { serveMonitor } from "./monitor";
import { launchProgram } from "./program";
import type { EngineResult, EngineRun, PhaseTimings } from "./types";
import { reveal, Secret, secretStrings, Unknown, type ValueMap } from "./wire";

/** Exit code of cmd/run after it has logged the error itself (cmd/run/index.js). */
const loggedAndExited = 32;

/**
 * Runs the program once, as `pulumi preview` (dryRun) or `pulumi up` without
 * its preview: serves the engine protocol, starts the program through
 * Pulumi's own cmd/run, applies steps against the checkpoint in stateDir,
 * deletes what was replaced or removed, and returns the stack outputs.
 */
export async function runEngine(run: EngineRun): Promise<EngineResult> {
  const t = { begin: performance.now(), spawn: 0, stack: 0, program: 0, exit: 0, end: 0 };
  if (run.signal?.aborted) throw new AbortedError();
  const prior = loadCheckpoint(run.stateDir);
  if (!run.dryRun) {
    try {
      mkdirSync(run.stateDir, { recursive: true, mode: 0o700 });
    } catch {
      throw new CheckpointError(`the state folder ${run.stateDir} cannot be created`);
    }
  }
  const priorOutputs = stackOutputsOf(prior);
  const deployment: Deployment = new Deployment({
    project: run.project,
    stack: run.stack,
    dryRun: run.dryRun,
    providers: {
      ...run.providers,
      // A name without a project names one in the current project, as the DIY backend reads it.
      reads: {
        ...run.providers.reads,
        ...builtinReads((ref) =>
          (ref.project ?? run.project) === run.project && ref.stack === run.stack ? priorOutputs : undefined,
        ),
      },
    },
    prior,
    save: (c) => saveCheckpoint(run.stateDir, c),
    onStep: (step) => run.onEvent({ kind: "step", step }),
    afterStep: run.afterStep,
    signal: run.signal,
  });
  const configSecrets = run.secretKeys.flatMap((k) => (run.config[k] === undefined ? [] : [run.config[k]]));
  const scrub = liveRedactor(
    () => [
      ...configSecrets,
      ...run.secrets,
      ...prior.resources.flatMap((e) => [...secretStrings(e.inputs), ...secretStrings(e.outputs)]),
      ...deployment.knownSecrets(),
    ],
    // As the Pulumi CLI filters diagnostics.
    { placeholder: "[secret]" },
  );
  const errors: string[] = [];
  const monitor = await serveMonitor(deployment, {
    log(severity, message, urn) {
      // The CLI shows debug diagnostics only when asked (-v); they echo every RPC, so they stay here.
      if (severity === "debug") return;
      const clean = scrub(message);
      if (severity === "error") errors.push(clean);
      run.onEvent({ kind: "diagnostic", severity, message: clean, ...(urn ? { urn } : {}) });
    },
    stackRegistered: () => {
      t.stack ||= performance.now();
    },
    programStarted: () => {
      t.program ||= performance.now();
    },
  });
  try {
    // An abort that came while the monitor was starting has fired already: a listener added now would never hear
    // it, and the program would run until its first registration was refused (about a minute of a stalled run).
    if (run.signal?.aborted) throw new AbortedError();
    t.spawn = performance.now();
    const program = launchProgram({ ...run, monitor: monitor.address });
    program.onStdout((line) => run.onEvent({ kind: "diagnostic", severity: "info", message: scrub(line) }));
    const abort = () => program.child.kill("SIGKILL");
    // If this process exits mid-run, the program must not outlive it waiting on an engine that is gone.
    process.once("exit", abort);
    // As the real engine does, the first failed step ends the deployment: the program would otherwise
    // wait forever on outputs of the failed resource. A moment first, so that its own error log arrives.
    deployment.onFailure = () => setTimeout(abort, 500).unref();
    run.signal?.addEventListener("abort", abort, { once: true });
    // The same for an abort between the check above and the listener: never leave it unheard.
    if (run.signal?.aborted) abort();
    const exit = await program.exited;
    run.signal?.removeEventListener("abort", abort);
    process.removeListener("exit", abort);
    t.exit = performance.now();
    await deployment.settle();
    if (run.signal?.aborted) throw new AbortedError();
    // Provider messages name fields, not values; scrubbed all the same, as diagnostics are.
    if (deployment.failure) throw new ResourceError(deployment.failure.urn, scrub(deployment.failure.message));
    if (exit.code !== 0) {
      const detail =
        errors.length > 0 ? errors.join("\n") : exit.code === loggedAndExited ? "" : lastLines(scrub(exit.stderr), 20);
      throw new ProgramError(`the program failed (exit ${exit.code})${detail ? `:\n${detail}` : ""}`);
    }
    await deployment.finish();
    if (run.signal?.aborted) throw new AbortedError();
  } finally {
    await monitor.stop();
  }
  t.end = performance.now();
  const timings = phases(t);
  run.onEvent({ kind: "timings", timings });
  return { ...resultOutputs(deployment.outputs), steps: deployment.steps, timings };
}

function resultOutputs(outputs: ValueMap): Pick<EngineResult, "outputs" | "secretOutputNames"> {
  const plain: Record<string, unknown> = {};
  const secretOutputNames: string[] = [];
  for (const [k, v] of Object.entries(outputs)) {
    if (v instanceof Secret) secretOutputNames.push(k);
    const value = reveal(v);
    if (!(value instanceof Unknown)) plain[k] = value;
  }
  return { outputs: plain, secretOutputNames };
}

function phases(t: {
  begin: number;
  spawn: number;
  stack: number;
  program: number;
  exit: number;
  end: number;
}): PhaseTimings {
  const stack = t.stack || t.exit;
  const program = t.program || t.exit;
  const ms = (a: number, b: number) => Math.max(0, Math.round(b - a));
  return {
    start: ms(t.spawn, stack),
    load: ms(stack, program),
    resources: ms(program, t.exit),
    deletes: ms(t.exit, t.end),
    total: ms(t.begin, t.end),
  };
}

const lastLines = (s: string, n: number) => s.trimEnd().split("\n").slice(-n).join("\n");
