import { parsePath } from "../engine/ignoreChanges";
import type { Diff } from "../engine/provider";
import { isValueMap, reveal, sameValue, Unknown, type Value, type ValueMap } from "../engine/wire";

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

/**
 * What a state diff needs of a Terraform resource's schema, in Pulumi's names, paths dotted without list indexes:
 * its arguments, those that are ForceNew, the Optional+Computed ones and the TypeSet lists.
 */
export interface StateSchema {
  arguments: readonly string[];
  forceNew: readonly string[];
  computed: readonly string[];
  sets: readonly string[];
}

type Key = string | number;

/**
 * Whether the configuration at `path` differs from the prior state there, as terraform-plugin-sdk's schemaMap.Diff
 * decides it (helper/schema/schema.go, diff, diffList, diffMap, diffString): a value the configuration leaves out
 * is no change where the schema marks it Computed, and otherwise a change only from a state that holds something
 * (SDKv2 has no null: an absent string, number, bool, list or map is its zero value); a set compares without order;
 * an unknown value is a change. A path under one of `ignoreChanges` never differs (the bridge deletes those
 * attribute diffs: pulumi/pulumi-terraform-bridge pkg/tfshim/sdk-v2/instance_diff.go, processIgnoreChanges).
 */
export function differsFromState(
  schema: StateSchema,
  path: Key[],
  state: Value | undefined,
  config: Value | undefined,
  ignoreChanges: readonly string[] = [],
): boolean {
  const paths = ignoreChanges.map(parsePath).filter((keys): keys is Key[] => keys !== undefined);
  const ignored = new Set(paths.map((keys) => JSON.stringify(keys)));
  return differs(schema, path, state, config, ignored);
}

function differs(
  schema: StateSchema,
  path: Key[],
  stateValue: Value | undefined,
  configValue: Value | undefined,
  ignored: Set<string>,
): boolean {
  if (ignored.has(JSON.stringify(path))) return false;
  const at = path.filter((k) => typeof k === "string").join(".");
  const state = stateValue === undefined ? null : reveal(stateValue);
  const config = configValue === undefined ? null : reveal(configValue);
  if (config instanceof Unknown) return true;
  if (config === null) return schema.computed.includes(at) ? false : !isZero(state);
  if (Array.isArray(config)) {
    const held = Array.isArray(state) ? state : [];
    if (schema.sets.includes(at)) return !sameValue(sortedSet(held), sortedSet(config));
    return held.length !== config.length || config.some((v, i) => differs(schema, [...path, i], held[i], v, ignored));
  }
  if (isValueMap(config)) {
    const held = state !== null && isValueMap(state) ? state : {};
    const keys = [...new Set([...Object.keys(config), ...Object.keys(held)])];
    return keys.some((k) => differs(schema, [...path, k], held[k], config[k], ignored));
  }
  if (state === null) return !isZero(config);
  return !sameValue(state, config);
}

/** SDKv2's zero values, which it holds equal to an absent value. */
function isZero(v: Value): boolean {
  if (v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isValueMap(v) && Object.keys(v).length === 0;
}

const sortedSet = (list: Value[]): Value[] =>
  list.map((v) => reveal(v)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
