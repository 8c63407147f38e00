import { CodedError } from "../../common/errors";
import type { PlainMap, ValueMap } from "../engine/wire";
import { sameValue } from "../engine/wire";

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
  /** Defaults and normalisation, as the provider's Check does. Throws CheckFailure naming the field. */
  check(news: ValueMap): ValueMap;
  diff(olds: ValueMap, oldOutputs: ValueMap, news: ValueMap): Diff;
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

/** Every resource type, read and function the program may use. */
export interface Providers {
  resources: Record<string, ResourceProvider>;
  reads: Record<string, ReadProvider>;
  invokes: Record<string, Invoke>;
}

/** A provider refused its inputs (Check) or failed an operation; the message names the field, never a value. */
export class ProviderError extends CodedError {
  static override readonly code = "ERR_PROVIDER";
}

/**
 * The bridge's diff for Terraform schemas: a key differs when its checked
 * value differs; it replaces when the schema marks it ForceNew.
 */
export function diffKeys(olds: ValueMap, news: ValueMap, forceNew: (key: string) => boolean): Diff {
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  const changed = keys.filter((k) => !sameValue(olds[k] ?? null, news[k] ?? null));
  return { changed, replace: changed.filter(forceNew) };
}

/**
 * The bridge's diff for a Terraform resource (pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go, Diff): the
 * prior state is built from the old OUTPUTS and compared with the new inputs, string for string, with no
 * normalisation the schema does not declare. An input the program leaves out is no change when the schema marks it
 * Computed (the state keeps the provider's value); otherwise dropping it is a change.
 */
export function diffState(
  olds: ValueMap,
  oldOutputs: ValueMap,
  news: ValueMap,
  forceNew: (key: string) => boolean,
  computed: readonly string[] = [],
): Diff {
  // Terraform holds an empty list or set and an absent one to be the same value.
  const given = (v: ValueMap[string] | undefined) =>
    v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  const changed = keys.filter((k) => {
    if (!given(news[k])) return !computed.includes(k) && given(oldOutputs[k]);
    return !sameValue(oldOutputs[k] ?? null, news[k] ?? null);
  });
  return { changed, replace: changed.filter(forceNew) };
}
