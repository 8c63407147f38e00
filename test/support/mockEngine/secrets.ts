import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

type Wrapped = { [specialSigKey]: string; value: unknown };

/** A value the SDK serialized as secret. */
export const isSecret = (v: unknown): v is Wrapped =>
  typeof v === "object" && v !== null && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;

/** The plain value of deserialized resource inputs: secret wrappers removed. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecret(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}
