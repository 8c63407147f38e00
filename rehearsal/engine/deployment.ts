import { messageOf } from "../../common/errors";
import type { Checkpoint, Entry } from "./checkpoint";
import { AbortedError, ResourceError } from "./errors";
import { ignoreChanges } from "./ignoreChanges";
import { type Diff, type PriorState, ProviderError, type Providers, type ResourceProvider } from "./provider";
import { decide, deleteOrder, shouldTriggerReplace, urnOf } from "./steps";
import type { StepEvent, StepOp } from "./types";
import { containsSecret, type PlainMap, Secret, secretStrings, toPlainMap, type Value, type ValueMap } from "./wire";

/** A RegisterResource request, decoded. */
export interface Registration {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  inputs: ValueMap;
  dependencies: string[];
  deleteBeforeReplace: boolean;
  replacementTrigger?: Value;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  /** The replaceOnChanges option: a change to one of these keys (or any, with "*") replaces. */
  replaceOnChanges: string[];
}

export interface Registered {
  urn: string;
  /** Empty for components, and in a preview for resources still to be created. */
  id: string;
  outputs: ValueMap;
}

export interface DeploymentOptions {
  project: string;
  stack: string;
  dryRun: boolean;
  providers: Providers;
  prior: Checkpoint;
  /** Persists the working checkpoint; never called in a preview. */
  save(checkpoint: Checkpoint): void;
  onStep(step: StepEvent): void;
  afterStep?(step: StepEvent, outputs: PlainMap): Promise<void>;
  signal?: AbortSignal;
}

const stackType = "pulumi:pulumi:Stack";

/**
 * One update (or preview) of the stack: the engine's step generator and
 * executor. Every applied step is checkpointed before the program hears of
 * it, so an interrupted run leaves a checkpoint of what exists.
 */
export class Deployment {
  readonly steps: StepEvent[] = [];
  /** The first provider failure: reported instead of the program's echo of it. */
  failure?: ResourceError;
  /** Called once, at the first failure: the run stops the program. */
  onFailure?: () => void;
  private readonly live: Entry[];
  private readonly seen = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stackUrn = "";
  private stackOutputs: ValueMap = {};

  constructor(private readonly o: DeploymentOptions) {
    this.live = o.prior.resources.map((e) => ({ ...e }));
  }

  /** Tracks an RPC so that an abort can wait for steps already running. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Secret strings this run has seen, for scrubbing diagnostics. */
  knownSecrets(): string[] {
    return this.live.flatMap((e) => [...secretStrings(e.inputs), ...secretStrings(e.outputs)]);
  }

  get outputs(): ValueMap {
    return this.stackOutputs;
  }

  async register(req: Registration): Promise<Registered> {
    this.throwIfAborted();
    const urn = urnOf(this.o.stack, this.o.project, req.parent, req.type, req.name);
    if (this.seen.has(urn))
      throw this.fail(
        new ResourceError(urn, `duplicate resource URN ${urn}: names must be unique per type and parent`),
      );
    this.seen.add(urn);
    const old = this.live.find((e) => e.urn === urn && !e.delete);
    if (req.type === stackType) this.stackUrn = urn;
    if (!req.custom) return this.component(req, urn, old);
    const provider = this.o.providers.resources[req.type];
    if (!provider)
      throw this.fail(
        new ResourceError(
          urn,
          `no provider for resource type ${req.type} (${req.name}); the local engine implements ${Object.keys(this.o.providers.resources).join(", ")}`,
        ),
      );
    const news = this.guard(urn, req, () => provider.check(ignoring(req.inputs, old, req.ignoreChanges)));
    const diff = old
      ? this.guard(urn, req, () => provider.diff(old.inputs, old.outputs, news, req.ignoreChanges))
      : undefined;
    const triggered = old ? shouldTriggerReplace(old.replacementTrigger, req.replacementTrigger) : false;
    const { op, keys } = decide(old !== undefined, withReplaceOnChanges(diff, req.replaceOnChanges), triggered);
    const entry: Entry = {
      urn,
      type: req.type,
      name: req.name,
      custom: true,
      id: old?.id ?? "",
      parent: req.parent,
      inputs: news,
      outputs: {},
      dependencies: req.dependencies,
      replacementTrigger: req.replacementTrigger,
    };
    const secret = (outputs: ValueMap) =>
      markSecrets(outputs, news, [...provider.secretOutputs, ...req.additionalSecretOutputs]);
    if (this.o.dryRun) {
      // A preview changes nothing: created and replaced resources' outputs are unknown (the SDK makes
      // missing outputs unknown in a dry run), updated ones are their planned state.
      const outputs = op === "same" ? (old?.outputs ?? {}) : op === "update" ? { ...old?.outputs, ...news } : news;
      await this.step(op, entry, keys);
      return { urn, id: op === "create" || op === "replace" ? "" : entry.id, outputs: secret(outputs) };
    }
    if (op === "same" && old) {
      Object.assign(old, { ...entry, outputs: old.outputs });
    } else if (op === "update" && old) {
      const made = await this.attempt(urn, req, () => updateOf(provider, req.type)(prior(old), toPlainMap(news)));
      Object.assign(old, { ...entry, id: made.id, outputs: secret(made.outputs) });
    } else {
      if (op === "replace" && old && req.deleteBeforeReplace) {
        await this.attempt(urn, req, () => provider.delete(prior(old)));
        this.live.splice(this.live.indexOf(old), 1);
        // Pulumi reports it as its own step (delete-replaced) before the replacement is created.
        await this.step("delete", old, undefined, "replaced");
      }
      const made = await this.attempt(urn, req, () => provider.create(toPlainMap(news)));
      // Create-before-delete: the old resource stays, marked, until the end of the update.
      if (op === "replace" && old && !req.deleteBeforeReplace) old.delete = true;
      Object.assign(entry, { id: made.id, outputs: secret(made.outputs) });
      this.live.push(entry);
    }
    const current = this.live.find((e) => e.urn === urn && !e.delete) ?? entry;
    await this.step(op, current, keys);
    return { urn, id: current.id, outputs: current.outputs };
  }

  /** RegisterResourceOutputs: a component's (or the stack's) outputs. */
  registerOutputs(urn: string, outputs: ValueMap): void {
    if (urn === this.stackUrn) this.stackOutputs = outputs;
    if (this.o.dryRun) return;
    const entry = this.live.find((e) => e.urn === urn && !e.delete);
    if (!entry) return;
    entry.outputs = outputs;
    this.save();
  }

  /** ReadResource: a `read` step; the entry is external, never deleted through a provider. */
  async read(type: string, name: string, parent: string, id: string, inputs: ValueMap): Promise<Registered> {
    this.throwIfAborted();
    const urn = urnOf(this.o.stack, this.o.project, parent, type, name);
    this.seen.add(urn);
    const reader = this.o.providers.reads[type];
    if (!reader) throw this.fail(new ResourceError(urn, `no provider can read resource type ${type} (${name})`));
    let read: { id: string; outputs: ValueMap };
    try {
      read = await reader.read(id, inputs);
    } catch (err) {
      throw this.fail(new ResourceError(urn, `${type} ${name}: ${messageOf(err)}`));
    }
    const entry: Entry = {
      urn,
      type,
      name,
      custom: true,
      id: read.id,
      parent,
      inputs,
      outputs: read.outputs,
      dependencies: [],
      external: true,
    };
    if (!this.o.dryRun) {
      const at = this.live.findIndex((e) => e.urn === urn && !e.delete);
      if (at >= 0) this.live[at] = entry;
      else this.live.push(entry);
    }
    await this.step("read", entry);
    return { urn, id: read.id, outputs: read.outputs };
  }

  async invoke(token: string, args: PlainMap): Promise<PlainMap> {
    const fn = this.o.providers.invokes[token];
    if (!fn) throw this.fail(new ResourceError(token, `no provider implements the function ${token}`));
    try {
      return await fn(args);
    } catch (err) {
      throw this.fail(new ResourceError(token, `${token}: ${messageOf(err)}`));
    }
  }

  /**
   * The end of a successful program: the old halves of replacements and what
   * the program no longer declares are deleted, dependents first. In a
   * preview only the removals are reported.
   */
  async finish(): Promise<void> {
    const doomed = this.live.filter((e) => e.delete || !this.seen.has(e.urn));
    for (const e of deleteOrder(doomed)) {
      const reason = e.delete ? "replaced" : "removed";
      if (this.o.dryRun) {
        if (reason === "removed") await this.stepDelete(e, reason);
        continue;
      }
      this.throwIfAborted();
      const provider = this.o.providers.resources[e.type];
      if (e.custom && !e.external) {
        if (!provider)
          throw this.fail(new ResourceError(e.urn, `no provider for resource type ${e.type}: cannot delete ${e.name}`));
        try {
          await provider.delete(prior(e));
        } catch (err) {
          throw this.fail(new ResourceError(e.urn, `${e.type} ${e.name}: delete failed: ${messageOf(err)}`));
        }
      }
      this.live.splice(this.live.indexOf(e), 1);
      this.save();
      await this.stepDelete(e, reason);
    }
    this.save();
  }

  private async stepDelete(e: Entry, reason: "replaced" | "removed"): Promise<void> {
    await this.step("delete", e, undefined, reason);
  }

  private component(req: Registration, urn: string, old: Entry | undefined): Promise<Registered> {
    const entry: Entry = {
      urn,
      type: req.type,
      name: req.name,
      custom: false,
      id: "",
      parent: req.parent,
      inputs: req.inputs,
      outputs: old?.outputs ?? {},
      dependencies: req.dependencies,
    };
    if (!this.o.dryRun) {
      if (old) Object.assign(old, entry);
      else this.live.push(entry);
    }
    return this.step(old ? "same" : "create", entry).then(() => ({ urn, id: "", outputs: {} }));
  }

  private async step(op: StepOp, e: Entry, keys?: string[], reason?: StepEvent["reason"]): Promise<void> {
    const step: StepEvent = { op, type: e.type, name: e.name, urn: e.urn, dryRun: this.o.dryRun };
    if (keys) step.keys = keys;
    if (reason) step.reason = reason;
    this.save();
    this.steps.push(step);
    this.o.onStep(step);
    if (!this.o.dryRun && this.o.afterStep) await this.o.afterStep(step, toPlainMap(e.outputs));
  }

  private save(): void {
    if (!this.o.dryRun) this.o.save({ resources: this.live });
  }

  /** A provider's Check or Diff: a throw becomes a ResourceError naming the resource. */
  private guard<T>(urn: string, req: Registration, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw this.fail(new ResourceError(urn, `${req.type} ${req.name}: ${messageOf(err)}`));
    }
  }

  /** A provider's create, update or delete, likewise. */
  private async attempt<T>(urn: string, req: Registration, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw this.fail(new ResourceError(urn, `${req.type} ${req.name}: ${messageOf(err)}`));
    }
  }

  private fail(err: ResourceError): ResourceError {
    if (!this.failure) {
      this.failure = err;
      this.onFailure?.();
    }
    return err;
  }

  private throwIfAborted(): void {
    if (this.o.signal?.aborted) throw new AbortedError();
  }
}

function prior(e: Entry): PriorState {
  return { id: e.id, inputs: toPlainMap(e.inputs), outputs: toPlainMap(e.outputs) };
}

function updateOf(provider: ResourceProvider, type: string): NonNullable<ResourceProvider["update"]> {
  if (!provider.update) throw new ResourceError(type, `${type} has no in-place update, yet its diff planned one`);
  return provider.update;
}

/** replaceOnChanges: listed keys that changed force a replacement, whatever the provider says. */
function withReplaceOnChanges(diff: Diff | undefined, keys: string[]): Diff | undefined {
  if (!diff || keys.length === 0) return diff;
  const forced = diff.changed.filter((k) => keys.includes("*") || keys.includes(k));
  return { changed: diff.changed, replace: [...new Set([...diff.replace, ...forced])] };
}

/**
 * ignoreChanges, only for a resource that exists (step_generator.go applies it when there is an old state): each
 * path keeps its old value, or is dropped when the old inputs have none there. A path that cannot be followed fails
 * the resource with the engine's message.
 */
function ignoring(news: ValueMap, old: Entry | undefined, paths: string[]): ValueMap {
  if (!old || paths.length === 0) return news;
  const { inputs, invalid } = ignoreChanges(news, old.inputs, paths);
  if (invalid.length > 0)
    throw new ProviderError(
      `cannot ignore changes to the following properties because one or more elements of the path are missing: ${invalid.map((p) => JSON.stringify(p)).join(", ")}`,
    );
  return inputs;
}

/**
 * Outputs are secret where the provider's schema says so, where the program
 * asked (additionalSecretOutputs), and where the input of the same name was
 * secret, as the engine does for providers that echo inputs.
 */
export function markSecrets(outputs: ValueMap, inputs: ValueMap, secretNames: string[]): ValueMap {
  const out: ValueMap = {};
  for (const [k, v] of Object.entries(outputs)) {
    const secret = !(v instanceof Secret) && (secretNames.includes(k) || containsSecret(inputs[k] ?? null));
    out[k] = secret ? new Secret(v) : v;
  }
  return out;
}
