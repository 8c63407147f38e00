// The program tests' engine: Pulumi's mock monitor (setMocks' machinery) running the rehearsal's own providers
// (rehearsal/providers, through adapter.ts), which make real keys and certificates and write into an in-process
// local Entra ID. It lives with the tests because only they use it; the
// rehearsal runs the program through the CLI's own path (rehearsal/engine). Pinned to @pulumi/pulumi 3.248 internals
// (runtime/mocks, runtime/settings, runtime/state), which the program tests exercise on every run.
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor, type MockResourceArgs, type MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperty } from "@pulumi/pulumi/runtime/rpc";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import * as runtimeState from "@pulumi/pulumi/runtime/state";
import { type StackName, stackReference } from "../../../rehearsal/engine/builtins";
import type { Created, Providers, ResourceProvider } from "../../../rehearsal/engine/provider";
import { Secret, type ValueMap } from "../../../rehearsal/engine/wire";
import { checked, diffOf, plainOf, priorOf } from "./adapter";
import { isSecret, unwrapSecrets } from "./secrets";

/** A resource's inputs as plain values, secrets unwrapped; providers check the fields they read. */
export type Inputs = Record<string, unknown>;

/** One resource as recorded in the checkpoint. */
export interface StateEntry {
  urn: string;
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  replacementTrigger?: unknown;
}

/** Options the resource was registered with, which mocks' newResource never sees. */
export interface RegisteredOptions {
  parent: string;
  replacementTrigger?: unknown;
  deleteBeforeReplace: boolean;
  /** Top-level input keys whose changes are ignored: the prior value is kept, as the CLI does. */
  ignoreChanges?: string[];
}

export type Step = { op: "create" | "update" | "replace" | "same" | "delete"; type: string; name: string; urn: string };

/** A resource the program registered, with what the engine did for it. */
export interface Registered extends StateEntry {
  custom: boolean;
  options: RegisteredOptions;
  op: Step["op"];
}

/**
 * A local deployment engine: Pulumi's mock monitor, with the engine's providers
 * doing the real work and their Check and Diff against the previous checkpoint
 * planning as `pulumi up` does: unchanged resources stay, changed ones update or
 * are replaced create-before-delete (unless deleteBeforeReplace), a changed
 * replacementTrigger replaces, and what the program no longer declares is
 * deleted at the end. Resource types without a provider fail; nothing is faked.
 */
export class LocalEngine extends MockMonitor {
  readonly registered: Registered[] = [];
  readonly failures: Error[] = [];
  private signalFailure: (err: Error) => void = () => undefined;
  /**
   * Rejects with the first failed resource. The SDK never settles the outputs of a resource whose
   * registration failed (it leaves that to the CLI, which ends the program), so waiting on them would hang.
   */
  readonly failed: Promise<never> = new Promise<never>((_, reject) => {
    this.signalFailure = reject;
  });
  private readonly options = new Map<string, RegisteredOptions>();
  private readonly pendingDeletes: StateEntry[] = [];

  constructor(
    private readonly providers: Providers,
    private readonly previous: StateEntry[] = [],
    private readonly onStep: (step: Step) => void | Promise<void> = () => undefined,
    /** The stack's outputs from its last deployment, which a StackReference to this stack reads. */
    private readonly stackOutputs: Record<string, unknown> = {},
    /** Which of those outputs the backend holds as secrets. */
    private readonly secretOutputNames: string[] = defaultSecretOutputs,
  ) {
    super({ newResource: (args) => this.newResource(args), call: (args) => this.call(args.token, args.inputs) });
    this.failed.catch(() => undefined);
  }

  /** Installs this engine as the Pulumi runtime's monitor; do it before importing the program. */
  install(project: string, stack: string): this {
    // "organization" is what the DIY backend reports as the organization (pulumi/pulumi pkg/backend/diy/store.go).
    setMockOptions(this, project, stack, false, "organization");
    return this;
  }

  override async registerResource(
    req: RegisterResourceRequest,
    callback: (err: unknown, res: unknown) => void,
  ): Promise<void> {
    const trigger = req.getReplacementTrigger();
    this.options.set(`${req.getType()}::${req.getName()}`, {
      parent: req.getParent(),
      replacementTrigger: trigger ? unwrapSecrets(deserializeProperty(trigger.toJavaScript())) : undefined,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
    });
    return super.registerResource(req, callback);
  }

  private async newResource(args: MockResourceArgs): Promise<MockResourceResult> {
    const opts = this.options.get(`${args.type}::${args.name}`) ?? { parent: "", deleteBeforeReplace: false };
    const urn = urnOf(opts.parent, args.type, args.name);
    if (args.type === stackReferenceType) return this.readStackReference(String(args.inputs.name));
    if (!args.custom) {
      this.record(
        { urn, type: args.type, name: args.name, id: "", inputs: {}, outputs: {}, secretOutputs: [] },
        false,
        opts,
        "same",
      );
      return { id: undefined, state: {} };
    }
    try {
      const entry = await this.apply(urn, args, opts);
      // Secret where the provider's schema says so, and where the input of the same name was secret: providers echo
      // their inputs in plain text, and the engine keeps them secret (rehearsal/engine/deployment.ts, markSecrets).
      const inputs: Record<string, unknown> = args.inputs ?? {};
      const secret = new Set([...entry.secretOutputs, ...Object.keys(inputs).filter((k) => isSecret(inputs[k]))]);
      const state = Object.fromEntries(
        Object.entries(entry.outputs).map(([k, v]) => [k, secret.has(k) ? pulumi.secret(v) : v]),
      );
      return { id: entry.id, state: { ...args.inputs, ...state } };
    } catch (err) {
      this.failures.push(err as Error);
      this.signalFailure(err as Error);
      throw err;
    }
  }

  /**
   * A StackReference is a read of the engine's builtin provider (rehearsal/engine/builtins.ts, as pulumi/pulumi
   * pkg/resource/deploy/builtins.go): the named stack's last saved outputs, not part of the checkpoint. The local
   * engine knows one stack, its own; first deployments read no outputs, as on the CLI.
   */
  private async readStackReference(name: string): Promise<MockResourceResult> {
    const saved = plainOf(this.stackOutputs);
    // The backend holds these outputs as secrets: the builtin names them in secretOutputNames.
    const held: ValueMap = Object.fromEntries(
      Object.entries(saved).map(([k, v]) => [k, this.secretOutputNames.includes(k) ? new Secret(v) : v]),
    );
    const own = (ref: StackName) =>
      (ref.project ?? pulumi.getProject()) === pulumi.getProject() && ref.stack === pulumi.getStack();
    const read = await stackReference((ref) => (own(ref) ? held : undefined)).read(name, { name });
    return {
      id: read.id,
      state: { name, outputs: this.stackOutputs, secretOutputNames: read.outputs.secretOutputNames },
    };
  }

  private async apply(urn: string, args: MockResourceArgs, opts: RegisteredOptions): Promise<StateEntry> {
    const provider = this.providers.resources[args.type];
    if (!provider)
      throw new Error(
        `the local engine has no handler for resource type ${args.type} (${args.name}); it fakes nothing it does not implement`,
      );
    const given = plainInputs(args.inputs, `${args.type} ${args.name}`);
    const prior = this.previous.find((p) => p.urn === urn);
    const ignored = prior ? (opts.ignoreChanges ?? []).filter((k) => k in prior.inputs) : [];
    const inputs = { ...given, ...Object.fromEntries(ignored.map((k) => [k, prior?.inputs[k]])) };
    const base = { urn, type: args.type, name: args.name, inputs, replacementTrigger: opts.replacementTrigger };
    const news = checked(provider, inputs);
    const made = (created: Created, op: Step["op"]) => this.step(created, provider, base, opts, op);
    if (!prior) return made(await provider.create(news), "create");
    const old = priorOf(provider, prior);
    const diff = diffOf(provider, old, news, opts.ignoreChanges);
    const triggered =
      opts.replacementTrigger !== undefined && !isDeepStrictEqual(opts.replacementTrigger, prior.replacementTrigger);
    if (diff.changed.length === 0 && !triggered) return made({ id: prior.id, outputs: old.outputs }, "same");
    if (!triggered && provider.update && diff.replace.length === 0)
      return made(await provider.update(old, news), "update");
    if (opts.deleteBeforeReplace) {
      await provider.delete(old);
      return made(await provider.create(news), "replace");
    }
    const created = await provider.create(news);
    this.pendingDeletes.push(prior);
    return made(created, "replace");
  }

  private async step(
    created: Created,
    provider: ResourceProvider,
    base: Omit<StateEntry, "id" | "outputs" | "secretOutputs">,
    opts: RegisteredOptions,
    op: Step["op"],
  ): Promise<StateEntry> {
    const entry: StateEntry = {
      ...base,
      id: created.id,
      outputs: created.outputs,
      secretOutputs: Object.keys(created.outputs).filter((k) => provider.secretOutputs.includes(k)),
    };
    this.record(entry, true, opts, op);
    await this.onStep({ op, type: entry.type, name: entry.name, urn: entry.urn });
    return entry;
  }

  private record(entry: StateEntry, custom: boolean, options: RegisteredOptions, op: Step["op"]): void {
    this.registered.push({ ...entry, custom, options, op });
  }

  private async call(token: string, inputs: unknown): Promise<Record<string, unknown>> {
    const invoke = this.providers.invokes[token];
    if (!invoke)
      throw new Error(`the local engine has no handler for function ${token}; it fakes nothing it does not implement`);
    return invoke(plainOf(plainInputs(inputs, token)));
  }

  /** Waits until every registration the program started has been answered. */
  async settled(): Promise<void> {
    // Internal to the SDK (pinned at 3.248.0): the same loop as its waitForRPCs.
    const store = (runtimeState as unknown as { getStore(): { settings: { rpcDone: Promise<void> } } }).getStore();
    let done: Promise<void> | undefined;
    while (done !== store.settings.rpcDone) {
      done = store.settings.rpcDone;
      await done;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Ends the deployment: deletes replaced resources and those the program no
   * longer declares, newest first so that dependents go before what they
   * depend on. Returns the new checkpoint.
   */
  async finish(): Promise<StateEntry[]> {
    await this.settled();
    const kept = new Set(this.registered.filter((r) => r.custom).map((r) => r.urn));
    const orphans = this.previous.filter((p) => !kept.has(p.urn));
    const doomed = [...this.pendingDeletes, ...orphans].sort(
      (a, b) => this.previous.indexOf(b) - this.previous.indexOf(a),
    );
    for (const entry of doomed) {
      const provider = this.providers.resources[entry.type];
      await provider?.delete(priorOf(provider, entry));
      await this.onStep({ op: "delete", type: entry.type, name: entry.name, urn: entry.urn });
    }
    return this.registered.filter((r) => r.custom).map(({ custom: _c, options: _o, op: _op, ...entry }) => entry);
  }
}

const stackReferenceType = "pulumi:pulumi:StackReference";
/** The outputs the program marks secret; the saved outputs file holds them in plain text. */
export const defaultSecretOutputs = ["privateKeyPem", "certificatePfx", "pfxPassword"];

function urnOf(parent: string, type: string, name: string): string {
  // A parent URN is urn:pulumi:<stack>::<project>::<qualified type>::<name>; children qualify their type with it.
  const parentType = parent.split("::")[2]?.split("$").pop();
  const qualified = parentType ? `${parentType}$${type}` : type;
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

/** The SDK hands the mock monitor inputs as an untyped object; anything else is a bug worth naming. */
function plainInputs(inputs: unknown, what: string): Inputs {
  const plain = unwrapSecrets(inputs ?? {});
  if (typeof plain !== "object" || plain === null || Array.isArray(plain))
    throw new Error(`the local engine got inputs for ${what} that are not an object`);
  return Object.fromEntries(Object.entries(plain));
}
