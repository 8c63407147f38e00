/**
 * The rehearsal's local Pulumi engine (contract 7): serves Pulumi's engine
 * protocol over gRPC and runs the program with `@pulumi/pulumi/cmd/run`, as
 * the CLI's Node.js language host does, so loading, type-checking, config
 * and serialization are Pulumi's own code.
 */
export { AbortedError, CheckpointError, type EngineError, ProgramError, ResourceError } from "./errors";
export { runEngine } from "./run";
export type {
  EngineEvent,
  EngineResult,
  EngineRun,
  PhaseTimings,
  ProviderContext,
  StepEvent,
  StepOp,
} from "./types";
