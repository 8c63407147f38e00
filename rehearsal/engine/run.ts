import type { EngineResult, EngineRun } from "./types";

/** Runs the program once against the checkpoint in `run.stateDir` (interface first; the engine follows). */
export async function runEngine(_run: EngineRun): Promise<EngineResult> {
  throw new Error("runEngine: not implemented yet (interface commit)");
}
