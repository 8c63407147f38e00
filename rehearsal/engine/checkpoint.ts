import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "./errors";
import { openSecretsKey, type SecretsKey } from "./secretsKey";
import {
  isValueMap,
  type JavaScriptValue,
  type JsonObject,
  Secret,
  specialSecretSig,
  specialSigKey,
  Unknown,
  type Value,
  type ValueMap,
} from "./wire";

/** One resource in the checkpoint, as Pulumi's snapshot records it. */
export interface Entry {
  urn: string;
  type: string;
  name: string;
  /** A custom resource (a provider's), as opposed to a component or the stack. */
  custom: boolean;
  id: string;
  parent: string;
  inputs: ValueMap;
  outputs: ValueMap;
  dependencies: string[];
  replacementTrigger?: Value;
  /** The old half of a create-before-delete replacement, to be deleted at the end. */
  delete?: boolean;
  /** Read, not managed (ReadResource): dropped, never deleted through a provider. */
  external?: boolean;
}

export interface Checkpoint {
  resources: Entry[];
}

/** The stack's root outputs as the checkpoint keeps them (secrets still wrapped); none before a first update. */
export function stackOutputsOf(c: Checkpoint): ValueMap {
  return c.resources.find((e) => e.type === "pulumi:pulumi:Stack" && !e.delete)?.outputs ?? {};
}

const file = (stateDir: string) => join(stateDir, "checkpoint.json");
const keyFile = (stateDir: string) => join(stateDir, "checkpoint.key");

/** The stack as the last run left it; empty when there is none yet. */
export function loadCheckpoint(stateDir: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(file(stateDir), "utf8");
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return { resources: [] };
    throw new CheckpointError(`the checkpoint in ${stateDir} cannot be read`);
  }
  let parsed: JavaScriptValue;
  try {
    parsed = JSON.parse(text) as JavaScriptValue;
  } catch {
    throw new CheckpointError(`the checkpoint ${file(stateDir)} is not JSON; move it away or start fresh`);
  }
  const resources =
    isObject(parsed) && parsed.version === 1 && Array.isArray(parsed.resources) ? parsed.resources : undefined;
  if (!resources) throw new CheckpointError(`the checkpoint ${file(stateDir)} is not a version 1 checkpoint`);
  let key: SecretsKey | undefined;
  const secrets = () => {
    key ??= openSecretsKey(keyFile(stateDir), false);
    if (!key) throw new CheckpointError(`the checkpoint holds secrets but its key ${keyFile(stateDir)} is missing`);
    return key;
  };
  return { resources: resources.filter(isObject).map((r) => readEntry(r, secrets)) };
}

/** Writes the checkpoint atomically (0600), secrets encrypted. */
export function saveCheckpoint(stateDir: string, checkpoint: Checkpoint): void {
  let key: SecretsKey | undefined;
  const secrets = () => {
    key ??= openSecretsKey(keyFile(stateDir), true);
    if (!key) throw new CheckpointError(`the checkpoint key ${keyFile(stateDir)} cannot be created`);
    return key;
  };
  const body = { version: 1, resources: checkpoint.resources.map((e) => writeEntry(e, secrets)) };
  const tmp = `${file(stateDir)}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file(stateDir));
  } catch (err) {
    throw new CheckpointError(
      `the checkpoint in ${stateDir} cannot be written: ${err instanceof Error && "code" in err ? String(err.code) : "unknown error"}`,
    );
  }
}

function writeEntry(e: Entry, key: () => SecretsKey): JsonObject {
  const out: JsonObject = {
    urn: e.urn,
    type: e.type,
    name: e.name,
    custom: e.custom,
    id: e.id,
    parent: e.parent,
    inputs: seal(e.inputs, key),
    outputs: seal(e.outputs, key),
    dependencies: e.dependencies,
  };
  if (e.replacementTrigger !== undefined) out.replacementTrigger = seal(e.replacementTrigger, key);
  if (e.delete) out.delete = true;
  if (e.external) out.external = true;
  return out;
}

function readEntry(r: JsonObject, key: () => SecretsKey): Entry {
  const str = (k: string) => (typeof r[k] === "string" ? String(r[k]) : "");
  const map = (k: string): ValueMap => {
    const v = open(r[k] ?? {}, key);
    return isValueMap(v) ? v : {};
  };
  const entry: Entry = {
    urn: str("urn"),
    type: str("type"),
    name: str("name"),
    custom: r.custom === true,
    id: str("id"),
    parent: str("parent"),
    inputs: map("inputs"),
    outputs: map("outputs"),
    dependencies: Array.isArray(r.dependencies) ? r.dependencies.map(String) : [],
  };
  if (r.replacementTrigger !== undefined) entry.replacementTrigger = open(r.replacementTrigger, key);
  if (r.delete === true) entry.delete = true;
  if (r.external === true) entry.external = true;
  return entry;
}

/** Pulumi's checkpoint shape for a secret: the signature plus `ciphertext` (of the value's JSON). */
function seal(v: Value, key: () => SecretsKey): JavaScriptValue {
  if (v instanceof Secret)
    return { [specialSigKey]: specialSecretSig, ciphertext: key().encrypt(JSON.stringify(seal(v.value, key))) };
  if (v instanceof Unknown) throw new CheckpointError("an unknown value cannot be checkpointed");
  if (Array.isArray(v)) return v.map((x) => seal(x, key));
  if (isValueMap(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = seal(x, key);
    return out;
  }
  return v;
}

function open(v: JavaScriptValue, key: () => SecretsKey): Value {
  if (Array.isArray(v)) return v.map((x) => open(x, key));
  if (!isObject(v)) return v;
  if (v[specialSigKey] === specialSecretSig && typeof v.ciphertext === "string")
    return new Secret(open(JSON.parse(key().decrypt(v.ciphertext)) as JavaScriptValue, key));
  const out: ValueMap = {};
  for (const [k, x] of Object.entries(v)) out[k] = open(x, key);
  return out;
}

function isObject(v: JavaScriptValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
