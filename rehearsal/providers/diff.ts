import type { Diff } from "../engine/provider";
import { sameValue, type ValueMap } from "../engine/wire";

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
