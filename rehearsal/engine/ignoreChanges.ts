import { isValueMap, Secret, type Value, type ValueMap } from "./wire";

/**
 * The ignoreChanges option as the engine applies it before Check (pulumi/pulumi pkg/resource/deploy/step_generator.go,
 * processIgnoreChanges, and sdk/go/common/resource/properties_path.go, PropertyPath.Reset): each path of the new
 * inputs takes its old value, and where the old inputs have no value there, the path is deleted from the new
 * inputs. Reset creates no intermediate objects and never changes an array's length. Returns the paths that could
 * not be followed (the engine fails the resource naming them), or the inputs.
 */
export function ignoreChanges(
  news: ValueMap,
  olds: ValueMap,
  paths: string[],
): { inputs: ValueMap; invalid: string[] } {
  const inputs = structuredCopy(news) as ValueMap;
  const invalid: string[] = [];
  for (const path of paths) {
    const keys = parsePath(path);
    // ParsePropertyPath errors are skipped by processIgnoreChanges (`continue`), so are unparsable paths here.
    if (!keys) continue;
    if (!reset(olds, inputs, keys)) invalid.push(path);
  }
  return { inputs, invalid };
}

type Key = string | number;

/** `a.b`, `a[0]`, `a["b.c"]`: the subset of Pulumi's property path syntax a program's ignoreChanges uses. */
export function parsePath(path: string): Key[] | undefined {
  const keys: Key[] = [];
  const re = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;
  let rest = path;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return undefined;
    if (m[1] !== undefined) keys.push(m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else keys.push((m[3] ?? "").replace(/\\(.)/g, "$1"));
    rest = rest.slice(m[0].length);
  }
  return keys.length > 0 ? keys : undefined;
}

const open = (v: Value | undefined): Value | undefined => (v instanceof Secret ? open(v.value) : v);

function reset(old: Value | undefined, next: Value | undefined, keys: Key[]): boolean {
  const [key, ...rest] = keys;
  if (key === undefined) return true;
  const o = open(old);
  const n = open(next);
  if (typeof key === "number") {
    if (!Array.isArray(o) || !Array.isArray(n)) return !Array.isArray(o) && !Array.isArray(n);
    if (key >= o.length || key >= n.length) return key >= o.length && key >= n.length;
    if (rest.length === 0) {
      n[key] = o[key] ?? null;
      return true;
    }
    return reset(o[key], n[key], rest);
  }
  if (rest.length === 0) {
    const has = o !== undefined && isValueMap(o) && Object.hasOwn(o, key);
    if (has) {
      if (n === undefined || !isValueMap(n)) return false;
      n[key] = (o as ValueMap)[key] ?? null;
    } else if (n !== undefined && isValueMap(n)) delete n[key];
    return true;
  }
  if (o === undefined || n === undefined || !isValueMap(o) || !isValueMap(n))
    return !(o !== undefined && isValueMap(o)) && !(n !== undefined && isValueMap(n));
  const hasOld = Object.hasOwn(o, key);
  const hasNew = Object.hasOwn(n, key);
  if (hasOld && !hasNew) return false;
  if (!hasOld && !hasNew) return true;
  return reset(o[key], n[key], rest);
}

/** A copy deep enough that resetting a nested path never changes the program's registration. */
function structuredCopy(v: Value): Value {
  if (v instanceof Secret) return new Secret(structuredCopy(v.value));
  if (Array.isArray(v)) return v.map(structuredCopy);
  if (isValueMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCopy(x)]));
  return v;
}
