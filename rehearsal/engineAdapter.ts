/**
 * The one place the rehearsal meets the engine (contract 7). Until the gRPC
 * engine in `rehearsal/engine/` lands, the legacy mock-monitor engine serves
 * behind the same `runEngine`; at the merge this becomes
 * `export { runEngine } from "./engine";` and the types come from there too.
 */
export type { EngineEvent, EngineResult, EngineRun, PhaseTimings, RunEngine, StepEvent } from "./engineContract";
export { runEngine } from "./legacyEngine";

/** Whether the engine type-checks the program (the gRPC engine through cmd/run and ts-node does). */
export const engineTypeChecks = false;
