import { readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { messageOf } from "../common/errors";
import { RehearsalInputError } from "./errors";

/**
 * Stack config the way the Pulumi CLI builds it, so that what the rehearsal
 * accepts is what `pulumi preview` accepts. Sources (pulumi/pulumi):
 * - sdk/go/common/workspace/config.go `mergeConfig` and `validateStackConfigValue`: defaults
 *   (`createConfigValue`: primitives as their text, lists and maps as JSON), missing keys, and the message
 *   "Stack '<stack>' with configuration key '<key>' must be of type '<type>'". Undeclared keys are passed on
 *   (older CLIs refused them in `ValidateStackConfigAndMergeProjectConfig`).
 * - sdk/go/common/workspace/project.go `ValidateConfigValue` and `InferFullTypeName`: the type rules.
 * - pkg/cmd/pulumi/config/config_set.go: `pulumi config set k v` stores `config.NewValue(v)`, a string;
 *   with `--path` the leaf goes through `adjustObjectValue` (sdk/go/common/resource/config/map.go):
 *   "true"/"false" become booleans, integers without a leading 0 become numbers, the rest stay strings.
 */

/** A config value as the CLI holds it: a plain string, or an object (list, map) from YAML or `--path`. */
export type ConfigValue = { kind: "string"; value: string } | { kind: "object"; value: unknown };

interface ItemsType {
  type: string;
  items?: ItemsType;
}

export interface Declared extends Partial<ItemsType> {
  default?: unknown;
  secret?: boolean;
}

export interface Project {
  name: string;
  config: Record<string, Declared>;
}

export interface StackConfig {
  /** PULUMI_CONFIG: "<namespace>:<key>" -> string, JSON text for objects. */
  config: Record<string, string>;
  /** PULUMI_CONFIG_SECRET_KEYS. Always empty: secure values are refused (no secrets provider offline). */
  secretKeys: string[];
  /** Keys the user set (stack file or --config), without namespace for the project's own. */
  setKeys: string[];
  /** Keys of the project's namespace that Pulumi.yaml does not declare: passed on, as the CLI does. */
  undeclared: string[];
}

// A YAML mapping parses to a plain object; `!!binary` and the like parse to other objects, which are no mapping.
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** The project name and declared config of Pulumi.yaml. */
export function readProject(root: string): Project {
  const raw: unknown = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
  if (!isRecord(raw) || typeof raw.name !== "string")
    throw new RehearsalInputError(`${join(root, "Pulumi.yaml")} has no project name`);
  const config: Record<string, Declared> = {};
  if (isRecord(raw.config)) for (const [k, v] of Object.entries(raw.config)) if (isRecord(v)) config[k] = v;
  return { name: raw.name, config };
}

/** `Pulumi.dev.yaml` is stack `dev`, as the CLI names stack files; anything else is the rehearsal's own stack. */
export function stackNameOf(stackFile: string | undefined): string {
  const match = stackFile ? /^Pulumi\.(.+)\.ya?ml$/.exec(basename(stackFile)) : null;
  return match?.[1] ?? "rehearsal";
}

const maxStackFileBytes = 1 << 20;

/** Reads the `config:` block of a stack file. `secure:` values are refused: there is no secrets provider offline. */
export function readStackFile(path: string, project: Project): Map<string, ConfigValue> {
  let raw: unknown;
  try {
    // A stack file is a few KiB; /dev/zero or a FIFO would grow or block forever, and readFileSync cannot be interrupted.
    const stat = statSync(path);
    if (!stat.isFile()) throw new RehearsalInputError(`--stack-config ${path}: not a regular file`);
    if (stat.size > maxStackFileBytes)
      throw new RehearsalInputError(`--stack-config ${path}: larger than ${maxStackFileBytes} bytes; not a stack file`);
    raw = parse(readFileSync(path, "utf8"));
  } catch (err) {
    if (err instanceof RehearsalInputError) throw err;
    const reason = messageOf(err).split("\n")[0];
    throw new RehearsalInputError(`--stack-config ${path}: cannot read it (${reason})`);
  }
  const values = new Map<string, ConfigValue>();
  if (raw === null || raw === undefined) return values;
  if (!isRecord(raw)) throw new RehearsalInputError(`--stack-config ${path}: not a stack file (expected a mapping)`);
  const block = raw.config ?? {};
  if (!isRecord(block)) throw new RehearsalInputError(`--stack-config ${path}: 'config' must be a mapping`);
  for (const [key, value] of Object.entries(block)) {
    const name = namespaced(key, project);
    if (isRecord(value) && "secure" in value)
      throw new RehearsalInputError(
        `--stack-config ${path}: ${key} is a secure (encrypted) value, and the rehearsal has no secrets provider to decrypt it; put a plain value in a copy of the file used only for the rehearsal, or pass it with --config`,
      );
    if (!serializable(value))
      throw new RehearsalInputError(
        `--stack-config ${path}: the value of ${key} refers to itself (a YAML alias cycle); write the value out`,
      );
    values.set(name, fromYaml(value));
  }
  return values;
}

// PULUMI_CONFIG carries lists and maps as JSON text; a cycle (`a: &a [*a]`) has none.
function serializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

// config.Value's YAML form: scalars are kept as their text, lists and maps as objects.
function fromYaml(value: unknown): ConfigValue {
  if (Array.isArray(value) || isRecord(value)) return { kind: "object", value };
  return { kind: "string", value: value === null || value === undefined ? "" : String(value) };
}

/** "<namespace>:<key>"; a bare key belongs to the project, as `config.ParseKey` has it. */
function namespaced(key: string, project: Project): string {
  return key.includes(":") ? key : `${project.name}:${key}`;
}

/**
 * Applies one `--config` argument to the stack values. `key=value` is
 * `pulumi config set key value` (the value is a string, whatever it looks
 * like); a key with a path (`roles[0]`, `a.b`) is `pulumi config set --path`.
 */
export function applyOverride(values: Map<string, ConfigValue>, pair: string, project: Project): string {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new RehearsalInputError(`--config ${safeKey(pair)} is not key=value, e.g. --config keySize=3072`);
  const key = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  const colon = key.indexOf(":");
  const namespace = colon >= 0 ? key.slice(0, colon) : project.name;
  const rest = colon >= 0 ? key.slice(colon + 1) : key;
  if (!/[[.]/.test(rest)) {
    values.set(`${namespace}:${rest}`, { kind: "string", value });
    return `${namespace}:${rest}`;
  }
  const path = parsePath(rest, key);
  const [first, ...inner] = path;
  if (typeof first !== "string")
    throw new RehearsalInputError(`--config ${key}: the first path segment must be a name`);
  const name = `${namespace}:${first}`;
  const leaf = adjustObjectValue(value);
  if (inner.length === 0) {
    values.set(name, typeof leaf === "string" ? { kind: "string", value: leaf } : { kind: "object", value: leaf });
    return name;
  }
  const existing = values.get(name);
  const root: unknown = existing?.kind === "object" ? structuredClone(existing.value) : undefined;
  values.set(name, { kind: "object", value: setPath(root, inner, leaf, key) });
  return name;
}

// map.go adjustObjectValue: what `--path` stores for a plain value.
function adjustObjectValue(value: string): unknown {
  if (value === "true") return true;
  if (value === "false") return false;
  if (value.length > 1 && value.startsWith("0")) return value;
  if (/^[+-]?\d+$/.test(value)) return Number(value);
  return value;
}

type Segment = string | number;

/** `roles[0]`, `a.b`, `["a.b"][0]`: resource.ParsePropertyPath's forms. */
function parsePath(text: string, key: string): Segment[] {
  const segments: Segment[] = [];
  const re = /^(?:\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]"]+))/;
  let rest = text;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new RehearsalInputError(`--config ${key}: invalid config key path`);
    if (m[1] !== undefined) segments.push(Number(m[1]));
    else segments.push(m[2] ?? m[3] ?? "");
    rest = rest.slice(m[0].length);
  }
  return segments;
}

function setPath(container: unknown, path: Segment[], leaf: unknown, key: string): unknown {
  const [head, ...tail] = path;
  if (head === undefined) return leaf;
  if (typeof head === "number") {
    const list = Array.isArray(container) ? [...container] : [];
    // The CLI allows index == length (append) and nothing beyond.
    if (head > list.length) throw new RehearsalInputError(`--config ${key}: array index out of range`);
    list[head] = setPath(list[head], tail, leaf, key);
    return list;
  }
  const map = isRecord(container) ? { ...container } : {};
  map[head] = setPath(map[head], tail, leaf, key);
  return map;
}

/** Keys are safe to echo only when they look like keys; a pasted value never is. */
function safeKey(pair: string): string {
  const key = pair.split("=")[0] ?? "";
  return /^[\w:.[\]"-]{1,64}$/.test(key) ? key : "(argument)";
}

/** InferFullTypeName: `array<string>`. */
export function typeName(t: ItemsType): string {
  return t.items ? `array<${typeName(t.items)}>` : t.type;
}

/** ValidateConfigValue, rule for rule. */
export function validateConfigValue(t: ItemsType, value: unknown): boolean {
  switch (t.type) {
    case "string":
      return typeof value === "string";
    case "integer":
      if (typeof value === "number") return Number.isInteger(value);
      // strconv.Atoi: optional sign, decimal digits, nothing else.
      return typeof value === "string" && /^[+-]?\d+$/.test(value);
    case "boolean":
      return value === true || value === false || value === "true" || value === "false";
    case "object":
      return isRecord(value);
    default: {
      const items = t.items;
      if (!Array.isArray(value) || !items) return false;
      return value.every((item) => validateConfigValue(items, item));
    }
  }
}

/**
 * Merges Pulumi.yaml defaults into the stack values and validates them, as
 * `pulumi preview` does before the program runs. Returns PULUMI_CONFIG.
 */
export function resolveStackConfig(stack: string, project: Project, values: Map<string, ConfigValue>): StackConfig {
  const config: Record<string, string> = {};
  for (const [key, value] of values) config[key] = value.kind === "string" ? value.value : JSON.stringify(value.value);
  // mergeConfig walks the declared keys sorted, so the first error reported is the CLI's first.
  const declared = Object.keys(project.config).sort();
  const missing: string[] = [];
  for (const key of declared) {
    const type = project.config[key];
    const name = namespaced(key, project);
    if (!type || values.has(name)) continue;
    if (type.default === undefined) {
      if (name.startsWith(`${project.name}:`)) missing.push(key);
    } else config[name] = typeof type.default === "object" ? JSON.stringify(type.default) : String(type.default);
  }
  if (missing.length > 0)
    throw new RehearsalInputError(
      `Stack '${stack}' is missing configuration ${missing.length > 1 ? "values" : "value"} ${formatKeys(missing)}`,
      "ERR_STACK_CONFIG",
    );
  for (const key of declared) {
    const type = project.config[key];
    const value = values.get(namespaced(key, project));
    if (!type?.type || value === undefined) continue;
    const t = { type: type.type, items: type.items };
    if (!validateConfigValue(t, value.value))
      throw new RehearsalInputError(
        `Stack '${stack}' with configuration key '${key}' must be of type '${typeName(t)}'`,
        "ERR_STACK_CONFIG",
      );
  }
  const bare = (k: string) => (k.startsWith(`${project.name}:`) ? k.slice(project.name.length + 1) : k);
  const setKeys = [...values.keys()].map(bare);
  // The CLI passes keys Pulumi.yaml does not declare on to the program without a word (the current mergeConfig
  // no longer refuses them); the rehearsal says so, since a typo is the likely cause.
  const undeclared = setKeys.filter((k) => !k.includes(":") && !Object.hasOwn(project.config, k));
  return { config, secretKeys: [], setKeys, undeclared };
}

// formatMissingKeys: 'a', 'b' and 'c'.
function formatKeys(keys: string[]): string {
  if (keys.length === 1) return `'${keys[0]}'`;
  const sorted = [...keys].sort();
  return sorted
    .map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `))
    .join("");
}

/**
 * Everything at once: Pulumi.yaml, then the stack file, then what earlier
 * runs' `--config` set (`remembered`: as `pulumi config set` writes to the
 * stack's config), then each `--config` in order. `remember` is what to keep
 * for the next run: the remembered values with this run's on top.
 */
export function stackConfig(
  root: string,
  options: { stackFile?: string; overrides: string[]; remembered?: Record<string, ConfigValue> },
): StackConfig & { stack: string; project: Project; remember: Record<string, ConfigValue> } {
  const project = readProject(root);
  const stack = stackNameOf(options.stackFile);
  const values = options.stackFile ? readStackFile(options.stackFile, project) : new Map<string, ConfigValue>();
  const remember = new Map(Object.entries(options.remembered ?? {}));
  for (const [key, value] of remember) values.set(key, value);
  for (const pair of options.overrides) {
    const name = applyOverride(values, pair, project);
    const value = values.get(name);
    if (value) remember.set(name, value);
  }
  return { ...resolveStackConfig(stack, project, values), stack, project, remember: Object.fromEntries(remember) };
}

/** Reads what earlier runs' `--config` set; anything unreadable counts as nothing remembered. */
export function readRemembered(path: string): Record<string, ConfigValue> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (!isRecord(parsed)) return {};
    const out: Record<string, ConfigValue> = {};
    for (const [key, v] of Object.entries(parsed)) {
      if (isRecord(v) && v.kind === "string" && typeof v.value === "string")
        out[key] = { kind: "string", value: v.value };
      else if (isRecord(v) && v.kind === "object") out[key] = { kind: "object", value: v.value };
    }
    return out;
  } catch {
    return {};
  }
}
