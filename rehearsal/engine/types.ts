import type { Providers } from "./provider";

/** What the engine did (or, in a preview, would do) to one resource. */
export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read";

export interface StepEvent {
  op: StepOp;
  type: string;
  name: string;
  urn: string;
  /** True in a preview: nothing was changed. */
  dryRun: boolean;
  /** Input keys whose change caused an update or replace; `replacementTrigger` when the trigger did. */
  keys?: string[];
  /** For a delete: why (`replaced` for the old half of a create-before-delete replacement, `removed` otherwise). */
  reason?: "replaced" | "removed";
}

/** Time spent in each phase of one run, in milliseconds. */
export interface PhaseTimings {
  /** Spawn of `node …/cmd/run` until the program's stack resource is registered. */
  start: number;
  /** Stack registered until the program's first resource or invoke: loading index.ts, type-check included. */
  load: number;
  /** From then until the program exits: its resources' steps. */
  resources: number;
  /** Deletes at the end (replaced and removed resources). */
  deletes: number;
  total: number;
}

export type EngineEvent =
  | { kind: "step"; step: StepEvent }
  /** A diagnostic from the program (pulumi.log, warnings, errors), already scrubbed of secrets. */
  | { kind: "diagnostic"; severity: "debug" | "info" | "warning" | "error"; message: string; urn?: string }
  | { kind: "timings"; timings: PhaseTimings };

export interface EngineRun {
  /** Project root: holds Pulumi.yaml, package.json, index.ts, tsconfig.json and node_modules. */
  root: string;
  project: string;
  stack: string;
  /** `organization`, as the DIY backend has it. */
  organization: string;
  /** Exactly PULUMI_CONFIG: `"<project>:<key>"` -> string (JSON text for lists). */
  config: Record<string, string>;
  /** Exactly PULUMI_CONFIG_SECRET_KEYS. */
  secretKeys: string[];
  /** Preview: nothing is changed, the checkpoint is untouched, outputs of new resources are unknown. */
  dryRun: boolean;
  /** Where the checkpoint (`checkpoint.json`) and its 0600 secrets key (`checkpoint.key`) live. */
  stateDir: string;
  /**
   * Every resource type, read and function the program may use, handed in by whoever composes the run (the
   * rehearsal hands rehearsal/providers' localProviders). The engine adds its builtins (builtins.ts).
   */
  providers: Providers;
  /** Credentials the providers hold (the local Entra ID's admin key): scrubbed from every diagnostic, as secrets are. */
  secrets: string[];
  onEvent(e: EngineEvent): void;
  /**
   * Awaited after each applied step (not in a preview); rotation probes use it.
   * `outputs` are the resource's outputs after the step (for a delete, its last ones),
   * secrets unwrapped: for in-process use only, never to be printed.
   */
  afterStep?(step: StepEvent, outputs: Record<string, unknown>): Promise<void>;
  /** Ctrl-C: stop between steps, checkpoint what exists, kill the program child. */
  signal?: AbortSignal;
}

export interface EngineResult {
  /**
   * The stack outputs, plain (secrets unwrapped). In a preview an output that
   * depends on a resource being created or replaced is unknown and left out.
   */
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
  steps: StepEvent[];
  timings: PhaseTimings;
}
