import { ProviderError } from "../engine/provider";
import { isValueMap, type Plain, type PlainMap, Unknown, type Value, type ValueMap } from "../engine/wire";

/**
 * Typed reads of provider inputs. In a preview a field may be unknown;
 * checks then skip it, as the providers' Check does.
 */
export const known = (v: Value | undefined): boolean => v !== undefined && !(v instanceof Unknown);

/** Any map of fields: the engine's PlainMap, or any record read as one (the program tests' in-memory vault reads its inputs so). */
type Fields = Readonly<Record<string, unknown>>;

export function str(m: Fields, key: string, what: string): string {
  const v = m[key];
  if (typeof v !== "string" || v === "") throw new ProviderError(`${what}: ${key} is required and must be a string`);
  return v;
}

export function optStr(m: Fields, key: string): string | undefined {
  const v = m[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function num(m: Fields, key: string, what: string): number {
  const v = m[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ProviderError(`${what}: ${key} must be a number`);
  return v;
}

export function bool(m: Fields, key: string, fallback: boolean): boolean {
  const v = m[key];
  return typeof v === "boolean" ? v : fallback;
}

export function strList(m: Fields, key: string): string[] {
  const v = m[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function objList(m: PlainMap, key: string): PlainMap[] {
  const v = m[key];
  return Array.isArray(v) ? v.filter(isPlainMap) : [];
}

export function obj(m: PlainMap, key: string): PlainMap {
  const v = m[key];
  return isPlainMap(v) ? v : {};
}

export function isPlainMap(v: Plain | undefined): v is PlainMap {
  return isFields(v);
}

/** An object that is not a list: a map of fields. */
export function isFields(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sets a default where the program left a field unset, as the schema's Default does. */
export function withDefaults(news: ValueMap, defaults: ValueMap): ValueMap {
  const out: ValueMap = { ...news };
  for (const [k, v] of Object.entries(defaults)) if (out[k] === undefined || out[k] === null) out[k] = v;
  return out;
}

/** Sorts a list that the Terraform schema declares a set, so that order is no difference. */
export function asSet(v: Value | undefined, keyOf: (x: Value) => string): Value | undefined {
  if (!Array.isArray(v) || v.some((x) => !known(x))) return v;
  return [...v].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

export const setKey = (x: Value): string => (isValueMap(x) ? JSON.stringify(x, Object.keys(x).sort()) : String(x));
