import { type EngineResult, type EngineRun, runEngine } from "./engine";

/**
 * The one place the rehearsal meets the engine (contract 7): the gRPC engine
 * in `rehearsal/engine/`, which runs the program through
 * `@pulumi/pulumi/cmd/run` as the CLI does. Tests pass their own `RunEngine`.
 */
export type { EngineEvent, EngineResult, EngineRun, PhaseTimings, StepEvent } from "./engine";
export { runEngine };
export type RunEngine = (run: EngineRun) => Promise<EngineResult>;

/** The engine type-checks the program (cmd/run loads index.ts through ts-node), so a type error fails the preview. */
export const engineTypeChecks = true;
