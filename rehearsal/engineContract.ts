/**
 * The engine's interface (contract 7), as the rehearsal codes against it
 * until `rehearsal/engine/index.ts` lands (these are its types as the engine
 * branch has them). Type-only: delete this file at the merge and import the
 * same names from `./engine`.
 */

/** What the providers need to reach the local Entra ID and to answer getClientConfig. */
export interface ProviderContext {
  entra: { authorityHost: string; caPem: string; tenantId: string; adminKey: string };
  deployer: { clientId: string; objectId: string };
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read";

export interface StepEvent {
  op: StepOp;
  type: string;
  name: string;
  urn: string;
  /** True in a preview: nothing was changed. */
  dryRun: boolean;
  /** Input keys whose change caused an update or replace. */
  keys?: string[];
  /** For a delete: `replaced` (the old half of a replacement) or `removed`. */
  reason?: "replaced" | "removed";
}

/** Time spent in each phase of one run, in milliseconds. */
export interface PhaseTimings {
  start: number;
  /** Loading index.ts, type-check included. */
  load: number;
  resources: number;
  deletes: number;
  total: number;
}

export type EngineEvent =
  | { kind: "step"; step: StepEvent }
  | { kind: "diagnostic"; severity: "debug" | "info" | "warning" | "error"; message: string; urn?: string }
  | { kind: "timings"; timings: PhaseTimings };

export interface EngineRun {
  /** Project root: holds Pulumi.yaml, package.json, index.ts, node_modules. */
  root: string;
  project: string;
  stack: string;
  /** "organization", as the DIY backend has it. */
  organization: string;
  /** Exactly PULUMI_CONFIG: "<project>:<key>" -> string (JSON text for lists). */
  config: Record<string, string>;
  /** Exactly PULUMI_CONFIG_SECRET_KEYS. */
  secretKeys: string[];
  /** Preview: nothing is changed, the checkpoint is untouched. */
  dryRun: boolean;
  /** Where the checkpoint (and its 0600 secrets key) live. */
  stateDir: string;
  providers: ProviderContext;
  onEvent(e: EngineEvent): void;
  /** Awaited after each applied step (rotation probes use it). */
  afterStep?(step: StepEvent): Promise<void>;
  /** Ctrl-C: stop between steps, checkpoint what exists, kill the program child. */
  signal?: AbortSignal;
}

export interface EngineResult {
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
  steps: StepEvent[];
  timings: PhaseTimings;
}

export type RunEngine = (run: EngineRun) => Promise<EngineResult>;
