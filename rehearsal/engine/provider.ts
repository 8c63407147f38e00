import { CodedError } from "../../common/errors";
import type { PlainMap, ValueMap } from "./wire";

/**
 * The engine's side of a resource provider, as pulumi/pulumi's engine sees one (sdk/go/common/resource/plugin
 * provider.go: Check, Diff, Create, Read, Update, Delete). The engine defines it and is handed implementations: the
 * providers live a floor above (rehearsal/providers) and depend on this file, never the other way round.
 */

/** A resource as the checkpoint holds it, secrets unwrapped for the provider. */
export interface PriorState {
  id: string;
  inputs: PlainMap;
  outputs: PlainMap;
}

/** What a create, update or read returns: the id and the full state (inputs echoed, as the bridge does). */
export interface Created {
  id: string;
  outputs: PlainMap;
}

/** The provider's answer to Diff: keys that changed, and those among them that force a replacement. */
export interface Diff {
  changed: string[];
  replace: string[];
}

/** A provider's resource type, with its CRUD and its Check/Diff semantics. */
export interface ResourceProvider {
  /** Defaults and normalisation, as the provider's Check does. Throws ProviderError naming the field. */
  check(news: ValueMap): ValueMap;
  /**
   * The prior state against the checked new inputs. `ignoreChanges` is the resource's option, which the engine has
   * applied to `news` already and which pulumi/pulumi passes on to the provider too (DiffRequest.ignoreChanges): a
   * bridged provider also drops the differences the option names between the new inputs and the prior state.
   */
  diff(olds: ValueMap, oldOutputs: ValueMap, news: ValueMap, ignoreChanges?: readonly string[]): Diff;
  create(inputs: PlainMap): Promise<Created>;
  /** Absent when every field forces replacement. */
  update?(prior: PriorState, news: PlainMap): Promise<Created>;
  delete(prior: PriorState): Promise<void>;
  /** Outputs the provider's schema marks secret (sensitive). */
  secretOutputs: string[];
}

/** Reads a resource the program does not manage (ReadResource); outputs keep their secret wrappers. */
export interface ReadProvider {
  read(id: string, inputs: ValueMap): Promise<{ id: string; outputs: ValueMap }>;
}

export type Invoke = (args: PlainMap) => Promise<PlainMap>;

/** Every resource type, read and function the program may use, by type token. */
export interface Providers {
  resources: Record<string, ResourceProvider>;
  reads: Record<string, ReadProvider>;
  invokes: Record<string, Invoke>;
}

/** A provider refused its inputs (Check) or failed an operation; the message names the field, never a value. */
export class ProviderError extends CodedError {
  static override readonly code = "ERR_PROVIDER";
}
