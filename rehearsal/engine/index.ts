/**
 * The rehearsal's local Pulumi engine: serves Pulumi's engine
 * protocol over gRPC and runs the program with `@pulumi/pulumi/cmd/run`, as
 * the CLI's Node.js language host does, so loading, type-checking (the
 * vendored ts-node with the project's TypeScript and tsconfig), config and
 * serialization are Pulumi's own code.
 *
 * - Providers: handed in (EngineRun.providers, the interface in provider.ts);
 *   StackReference is the engine's own builtin (builtins.ts), as in Pulumi.
 * - Steps: providers' Check and Diff decide same / update / replace;
 *   replacement is create-before-delete unless deleteBeforeReplace;
 *   replacementTrigger follows step_generator.go shouldTriggerReplace;
 *   replaceOnChanges and top-level ignoreChanges are honoured; resources the
 *   program no longer declares are deleted at the end, dependents first.
 * - Preview (dryRun): nothing is created, changed or written; outputs of
 *   created or replaced resources are unknown.
 * - Checkpoint: `<stateDir>/checkpoint.json`, written after every step,
 *   secrets AES-256-GCM encrypted under `<stateDir>/checkpoint.key` (0600).
 * - Not supported (refused with a clear error): transforms, resource hooks,
 *   multi-language components (Call), parameterized packages, assets,
 *   explicit provider resources, stack references to other stacks.
 *
 * Error diagnostics the program logs are also carried in ProgramError's message.
 */
export { AbortedError, CheckpointError, type EngineError, ProgramError, ResourceError } from "./errors";

import type { EngineResult, EngineRun } from "./types";

export type { Created, Diff, Invoke, PriorState, Providers, ReadProvider, ResourceProvider } from "./provider";
export { ProviderError } from "./provider";
export { runEngine } from "./run";
export type { EngineEvent, EngineResult, EngineRun, PhaseTimings, StepEvent, StepOp } from "./types";

/** runEngine's shape, so the rehearsal's tests can pass a scripted engine in its place. */
export type RunEngine = (run: EngineRun) => Promise<EngineResult>;
