import { type Value as ProtoValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { CodedError } from "../../common/errors";

/** JSON as protobuf's Struct.toJavaScript gives it (its own typing says only `{}`). */
export type JavaScriptValue = null | boolean | number | string | JavaScriptValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JavaScriptValue;
}

/**
 * The one adapter between Pulumi's wire format and the engine's values.
 * Property values travel as protobuf Structs in which secrets are objects
 * tagged with a signature key and unknowns are a sentinel string; the
 * constants are the SDK's (`@pulumi/pulumi/runtime/rpc`, pinned 3.248.0,
 * checked by test/rehearsal/engine/wire.test.ts).
 */
export const specialSigKey = "4dabf18193072939515e22adb298388d";
export const specialSecretSig = "1b47061264138c4ac30d75fd1eb44270";
export const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const outputValueSig = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const otherSigs: Record<string, string> = {
  "5cf8f73096256a8f31e491e813e4eb8e": "resource reference",
  c44067f5952c0a294b673a41bacd8c17: "asset",
  "0def7320c3a5731c473e5ecbe6d01bc7": "archive",
};

/** A secret value: its secret-ness travels with it through the engine and into the checkpoint. */
export class Secret {
  constructor(readonly value: Value) {}
}

/** A value not known in a preview (an output of a resource still to be created). */
export class Unknown {
  static readonly value = new Unknown();
  private constructor() {}
}

export type Value = null | boolean | number | string | Value[] | ValueMap | Secret | Unknown;
export interface ValueMap {
  [key: string]: Value;
}

/** Plain data: what providers create and update from (no secrets wrappers, no unknowns). */
export type Plain = null | boolean | number | string | Plain[] | PlainMap;
export interface PlainMap {
  [key: string]: Plain;
}

/** Thrown for a wire value the engine does not support (assets, resource references). */
export class WireError extends CodedError {
  static override readonly code = "ERR_WIRE";
}

export function isValueMap(v: Value): v is ValueMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Secret) && !(v instanceof Unknown);
}

/** Decodes a JavaScript value from a Struct (or the checkpoint's JSON) into engine values. */
export function decode(v: JavaScriptValue | undefined): Value {
  if (v === undefined || v === null) return null;
  if (v === unknownSentinel) return Unknown.value;
  if (typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decode);
  const sig = v[specialSigKey];
  if (sig === specialSecretSig) return new Secret(decode(v.value));
  if (sig === outputValueSig) {
    // An Output the SDK kept as such (replacementTrigger in a preview): no value means unknown.
    const inner = "value" in v ? decode(v.value) : Unknown.value;
    return v.secret === true ? new Secret(inner) : inner;
  }
  if (typeof sig === "string") throw new WireError(`${otherSigs[sig] ?? `signature ${sig}`} values are not supported`);
  return decodeMap(v);
}

export function decodeMap(v: { [key: string]: JavaScriptValue } | undefined): ValueMap {
  const out: ValueMap = {};
  for (const [k, x] of Object.entries(v ?? {})) out[k] = decode(x);
  return out;
}

/** Encodes engine values as the SDK expects them on the wire; unknowns become the sentinel. */
export function encode(v: Value): JavaScriptValue {
  if (v instanceof Unknown) return unknownSentinel;
  if (v instanceof Secret) return { [specialSigKey]: specialSecretSig, value: encode(v.value) };
  if (Array.isArray(v)) return v.map(encode);
  if (isValueMap(v)) return encodeMap(v);
  return v;
}

export function encodeMap(m: ValueMap): { [key: string]: JavaScriptValue } {
  const out: { [key: string]: JavaScriptValue } = {};
  for (const [k, x] of Object.entries(m)) out[k] = encode(x);
  return out;
}

// The one cast: Struct.toJavaScript returns JSON, which its typing leaves as `{}`.
export const fromStruct = (s: Struct | undefined): ValueMap => decodeMap(s?.toJavaScript() as JsonObject | undefined);
/** A single protobuf Value (the replacementTrigger option). */
export const fromProtoValue = (v: ProtoValue | undefined): Value =>
  decode(v?.toJavaScript() as JavaScriptValue | undefined);
export const toStruct = (m: ValueMap): Struct => Struct.fromJavaScript(encodeMap(m));

/** The value without secret wrappers (unknowns stay). */
export function reveal(v: Value): Value {
  if (v instanceof Secret) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (isValueMap(v)) return mapValues(v, reveal);
  return v;
}

export function revealMap(m: ValueMap): ValueMap {
  return mapValues(m, reveal);
}

export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (v instanceof Secret) return containsUnknown(v.value);
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isValueMap(v)) return Object.values(v).some(containsUnknown);
  return false;
}

export function containsSecret(v: Value): boolean {
  if (v instanceof Secret) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (isValueMap(v)) return Object.values(v).some(containsSecret);
  return false;
}

/** Plain data for a provider's create or update; unknowns here mean the engine called it in a preview. */
export function toPlain(v: Value): Plain {
  if (v instanceof Unknown) throw new WireError("an unknown value reached a provider outside a preview");
  if (v instanceof Secret) return toPlain(v.value);
  if (Array.isArray(v)) return v.map(toPlain);
  if (isValueMap(v)) return toPlainMap(v);
  return v;
}

export function toPlainMap(m: ValueMap): PlainMap {
  const out: PlainMap = {};
  for (const [k, x] of Object.entries(m)) out[k] = toPlain(x);
  return out;
}

/** Every string under a value that sits inside a secret: what scrubbing must remove from messages. */
export function secretStrings(v: Value, inSecret = false, into: Set<string> = new Set()): Set<string> {
  if (v instanceof Secret) secretStrings(v.value, true, into);
  else if (Array.isArray(v)) for (const x of v) secretStrings(x, inSecret, into);
  else if (isValueMap(v)) for (const x of Object.values(v)) secretStrings(x, inSecret, into);
  else if (inSecret && typeof v === "string") into.add(v);
  else if (inSecret && typeof v === "number") into.add(String(v));
  return into;
}

function mapValues(m: ValueMap, f: (v: Value) => Value): ValueMap {
  const out: ValueMap = {};
  for (const [k, x] of Object.entries(m)) out[k] = f(x);
  return out;
}

/** Deep equality of engine values; secret-ness does not count as a difference (as in Pulumi's diff). */
export function sameValue(a: Value, b: Value): boolean {
  const x = reveal(a);
  const y = reveal(b);
  if (x instanceof Unknown || y instanceof Unknown) return false;
  if (Array.isArray(x) || Array.isArray(y)) {
    return (
      Array.isArray(x) &&
      Array.isArray(y) &&
      x.length === y.length &&
      x.every((e, i) => {
        const f = y[i];
        return f !== undefined && sameValue(e, f);
      })
    );
  }
  if (isValueMap(x) || isValueMap(y)) {
    if (!isValueMap(x) || !isValueMap(y)) return false;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    return [...keys].every((k) => sameValue(x[k] ?? null, y[k] ?? null));
  }
  return x === y;
}
