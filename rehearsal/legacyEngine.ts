import { fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { extname, join } from "node:path";
import type { EngineResult, EngineRun, StepEvent } from "./engineContract";
import type { LegacyJob, LegacyMessage } from "./legacyChild";

/** A failed preview or update, in the shape of the engine's typed errors. */
export class LegacyEngineError extends Error {
  readonly code = "ERR_PROGRAM";
  constructor(message: string) {
    super(message);
    this.name = "LegacyEngineError";
  }
}

/**
 * `runEngine` (contract 7) over the old mock-monitor engine, until the gRPC
 * engine in `rehearsal/engine/` lands. Differences, all on the engine's side:
 * the program runs under tsx (no type-check), and Ctrl-C kills the child
 * without a checkpoint of what it made in that run. Delete at the merge.
 */
export function runEngine(run: EngineRun): Promise<EngineResult> {
  mkdirSync(run.stateDir, { recursive: true });
  const job: LegacyJob = {
    program: join(run.root, "index.ts"),
    project: run.project,
    stack: run.stack,
    config: run.config,
    secretKeys: run.secretKeys,
    dryRun: run.dryRun,
    checkpointPath: join(run.stateDir, "checkpoint.json"),
    entra: run.providers.entra,
    deployer: run.providers.deployer,
    pauseAfterSteps: run.afterStep !== undefined,
  };
  return new Promise((resolve, reject) => {
    // cwd is the project root, where `--import tsx` resolves.
    const child = fork(join(__dirname, `legacyChild${extname(__filename)}`), [], {
      cwd: run.root,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const steps: StepEvent[] = [];
    const started = performance.now();
    let result: EngineResult | undefined;
    let failure: string | undefined;
    let stderr = "";
    const abort = () => child.kill("SIGTERM");
    run.signal?.addEventListener("abort", abort, { once: true });
    child.stderr?.on("data", (c) => {
      stderr += c;
    });
    child.on("message", (m: LegacyMessage) => {
      if (m.kind === "step") {
        const event: StepEvent = { ...m.step, dryRun: run.dryRun };
        const step: StepEvent & { outputs?: Record<string, unknown> } = { ...event, outputs: m.outputs };
        steps.push(event);
        run.onEvent({ kind: "step", step: event });
        if (run.afterStep && !run.dryRun)
          run.afterStep(step).then(
            () => child.connected && child.send({ kind: "continue", seq: m.seq }),
            (err) => {
              failure = err instanceof Error ? err.message : String(err);
              child.kill("SIGTERM");
            },
          );
      }
      if (m.kind === "done") {
        const total = performance.now() - started;
        // The legacy engine neither type-checks nor times its phases: all of it counts as resources.
        const timings = { start: 0, load: 0, resources: total, deletes: 0, total };
        run.onEvent({ kind: "timings", timings });
        result = { outputs: m.outputs, secretOutputNames: m.secretOutputNames, steps, timings };
      }
      if (m.kind === "failed") failure = m.message;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      run.signal?.removeEventListener("abort", abort);
      if (run.signal?.aborted) reject(Object.assign(new LegacyEngineError("interrupted"), { code: "ERR_ABORTED" }));
      else if (failure) reject(new LegacyEngineError(failure));
      else if (result && code === 0) resolve(result);
      // stderr is not relayed: a crash message could carry program values.
      else
        reject(
          new LegacyEngineError(
            `the program's process ended with code ${code}${stderr ? " (it printed an error; run the program's tests to see it)" : ""}`,
          ),
        );
    });
    child.send(job);
  });
}
