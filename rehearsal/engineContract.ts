/**
 * The engine's interface (contract 7), as the rehearsal codes against it
 * until `rehearsal/engine/index.ts` lands. Type-only: delete this file at
 * the merge and import the same names from `./engine`.
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
}

export type EngineEvent =
  | ({ kind: "step" } & StepEvent)
  | { kind: "diagnostic"; severity: "debug" | "info" | "warning" | "error"; message: string };

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
}

export type RunEngine = (run: EngineRun) => Promise<EngineResult>;
