// The vendored JSON schemas (scripts/schemas/, see its README for sources and versions) compiled with ajv 8, and a
// short explanation of why a document fails one. ajv's own error list for these schemas is hundreds of lines: a step
// is an anyOf of 13 kinds and a task an anyOf of 259 tasks, and ajv reports every branch. explain() walks the schema
// alongside the document and, at each anyOf/oneOf, follows only the branch that fits best (the data has the
// properties it requires, then the fewest complaints), so a misspelt key reads as one line.
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const Ajv = require("ajv");
const standaloneCode = require("ajv/dist/standalone").default;
const ajvVersion = require("ajv/package.json").version;

const dir = join(__dirname, "schemas");
const cacheDir = join(__dirname, "..", "node_modules", ".cache", "validate-pipelines");

/**
 * A schema file of scripts/schemas, compiled on first use for the given JSON pointers ("" = the whole schema).
 * `check(data, pointer)` returns [] when data is valid against the schema at that pointer, or one line per problem
 * ("<instance path> <what is wrong>"). Compiling the Azure schema costs about 2 s of CPU, so the compiled code
 * (ajv's standalone output) is kept in node_modules/.cache, named by a hash of everything it depends on.
 */
function schema(file, { unicode, pointers = [""] }) {
  const text = readFileSync(join(dir, file), "utf8");
  const root = JSON.parse(text);
  honourIgnoreCase(root);
  const flags = unicode ? "u" : "";
  // strict: false, as the schemas carry editor keywords (Azure's ignoreCase, aliases, firstProperty, ...).
  // inlineRefs and optimize off compile the Azure schema in 2 s instead of 10 s (each definition once, shared by
  // every pointer); validating these small files stays fast. coerceTypes: see scripts/schemas/README.md ("Azure
  // Pipelines reads every YAML scalar as a string").
  const options = { strict: false, unicodeRegExp: unicode, coerceTypes: !unicode, inlineRefs: false };
  let validators;
  const load = () => {
    const key = createHash("sha256")
      .update(JSON.stringify([text, options, pointers, ajvVersion]))
      .update(readFileSync(__filename))
      .digest("hex")
      .slice(0, 16);
    const cached = join(cacheDir, `${file}.${key}.cjs`);
    if (existsSync(cached)) return require(cached);
    const ajv = new Ajv({ ...options, code: { optimize: false, source: true } });
    ajv.addSchema(root, file);
    const names = Object.fromEntries(pointers.map((p, i) => [`p${i}`, `${file}#${p}`]));
    const compiled = Object.fromEntries(Object.entries(names).map(([n, id]) => [n, ajv.getSchema(id)]));
    try {
      mkdirSync(cacheDir, { recursive: true });
      const temp = `${cached}.${process.pid}.tmp`;
      writeFileSync(temp, standaloneCode(ajv, names));
      renameSync(temp, cached); // atomic: parallel test workers may write the same file
    } catch {
      // No cache (a read-only checkout): compiled again next time.
    }
    return compiled;
  };
  const check = (data, pointer = "") => {
    const index = pointers.indexOf(pointer);
    if (index < 0) throw new Error(`${file}: pointer ${pointer} is not among those compiled`);
    validators ??= load();
    const validate = validators[`p${index}`];
    if (validate(structuredClone(data))) return [];
    const why = explain(root, resolve(root, `#${pointer}`), data, "", flags, !unicode);
    const fallback = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || "/"} ${e.message}`);
    return why.length ? why.map(({ path, message }) => `${path || "/"} ${message}`) : fallback;
  };
  return { root, check };
}

/**
 * Azure's `ignoreCase: "value"` (or "all") beside a `pattern` means the value matches in any case (task names such as
 * AzureCLI@2, booleans such as True). JSON Schema has no flag for that, so such a pattern is rewritten, in memory,
 * letter by letter into [aA] classes. Escapes and existing classes are copied as they are. `ignoreCase` on keys and
 * enums, and `aliases`, are not honoured (see scripts/schemas/README.md).
 */
function honourIgnoreCase(node) {
  if (Array.isArray(node)) for (const n of node) honourIgnoreCase(n);
  if (node === null || typeof node !== "object" || Array.isArray(node)) return;
  const anyCase = node.ignoreCase === "value" || node.ignoreCase === "all";
  if (anyCase && typeof node.pattern === "string") node.pattern = caseless(node.pattern);
  if (anyCase && Array.isArray(node.enum) && node.enum.every((e) => typeof e === "string")) {
    const literal = (e) => e.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    node.pattern = caseless(`^(?:${node.enum.map(literal).join("|")})$`);
    node.type = "string";
    delete node.enum;
  }
  for (const value of Object.values(node)) honourIgnoreCase(value);
}

/** A pattern matching the same strings in any case: each letter outside escapes and classes becomes [aA]. */
function caseless(pattern) {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      out += c + (pattern[++i] ?? "");
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out += !inClass && lower !== upper ? `[${lower}${upper}]` : c;
  }
  return out;
}

function resolve(root, ref) {
  if (!ref.startsWith("#")) throw new Error(`only local $ref are followed: ${ref}`);
  return ref
    .slice(1)
    .split("/")
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((node, key) => node?.[key], root);
}

const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

function typeFits(type, value, coerce) {
  const actual = typeOf(value);
  if (type === actual || (type === "number" && actual === "integer")) return true;
  if (!coerce || actual !== "string") return false;
  if (type === "boolean") return value === "true" || value === "false";
  if (type === "number" || type === "integer") return value.trim() !== "" && Number.isFinite(Number(value));
  return false;
}

/** Problems of `data` against `node`, each { path, message }; [] when it fits. */
function explain(root, node, data, path, flags, coerce) {
  if (node === true || node === undefined) return [];
  if (node === false) return [{ path, message: "is not allowed here" }];
  const out = [];
  const here = (message) => out.push({ path, message });
  const sub = (n, d, p) => explain(root, n, d, p, flags, coerce);
  if (node.$ref) out.push(...sub(resolve(root, node.$ref), data, path));
  if (node.type !== undefined) {
    const types = [].concat(node.type);
    if (!types.some((t) => typeFits(t, data, coerce))) {
      here(`must be ${types.join(" or ")}, not ${typeOf(data)}`);
      return out;
    }
  }
  if (node.const !== undefined && JSON.stringify(node.const) !== JSON.stringify(data))
    here(`must be ${JSON.stringify(node.const)}`);
  if (node.enum && !node.enum.some((e) => JSON.stringify(e) === JSON.stringify(data) || (coerce && String(e) === data)))
    here(`must be one of ${node.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (typeof data === "string") {
    if (node.pattern && !new RegExp(node.pattern, flags).test(data)) here(`must match ${node.pattern}`);
    if (node.minLength !== undefined && data.length < node.minLength) here(`must be at least ${node.minLength} long`);
  }
  if (data && typeof data === "object" && !Array.isArray(data)) out.push(...explainObject(node, data, path, sub));
  if (Array.isArray(data)) {
    if (node.minItems !== undefined && data.length < node.minItems) here(`needs at least ${node.minItems} items`);
    const tuple = Array.isArray(node.items);
    for (const [i, item] of data.entries()) {
      const itemNode = tuple ? (i < node.items.length ? node.items[i] : node.additionalItems) : node.items;
      out.push(...sub(itemNode, item, `${path}/${i}`));
    }
  }
  for (const part of node.allOf ?? []) out.push(...sub(part, data, path));
  if (node.not && sub(node.not, data, path).length === 0) here("matches a form the schema forbids here");
  if (node.if !== undefined) {
    const branch = sub(node.if, data, path).length === 0 ? node.then : node.else;
    out.push(...sub(branch, data, path));
  }
  for (const key of ["anyOf", "oneOf"]) if (node[key]) out.push(...explainChoice(root, node[key], data, path, sub));
  return out;
}

function explainObject(node, data, path, sub) {
  const out = [];
  const here = (message) => out.push({ path, message });
  for (const name of node.required ?? []) if (!(name in data)) here(`must have ${name}`);
  const keys = Object.keys(data);
  if (node.minProperties !== undefined && keys.length < node.minProperties)
    here(`needs at least ${node.minProperties} entries`);
  for (const [name, needs] of Object.entries(node.dependencies ?? {}))
    if (name in data) {
      if (Array.isArray(needs))
        for (const n of needs)
          if (!(n in data)) here(`must have ${n} with ${name}`);
          else out.push(...sub(needs, data, path));
    }
  for (const key of keys) {
    const at = `${path}/${key}`;
    let known = false;
    if (node.properties && key in node.properties) {
      known = true;
      out.push(...sub(node.properties[key], data[key], at));
    }
    for (const [pattern, n] of Object.entries(node.patternProperties ?? {}))
      if (new RegExp(pattern).test(key)) {
        known = true;
        out.push(...sub(n, data[key], at));
      }
    if (known) continue;
    if (node.additionalProperties === false) here(`has unknown key ${key}`);
    else if (typeof node.additionalProperties === "object") out.push(...sub(node.additionalProperties, data[key], at));
  }
  return out;
}

/**
 * An anyOf/oneOf the data fails: the problems of the branch it most likely meant. A branch whose required keys the
 * data lacks is a different kind (a `task` branch for a `bash` step); among the rest, the fewest problems win. When
 * every branch refuses a scalar, all their reasons are named (a parameter type that is none of the listed ones).
 */
function explainChoice(root, branches, data, path, sub) {
  const tried = branches.map((b) => {
    const problems = sub(b, data, path);
    // A branch that needs keys the data lacks, or another type, is another kind of thing.
    const missing = problems.filter((p) => p.path === path && /^must (have |be \S+( or \S+)*, not )/.test(p.message));
    // Azure's `firstProperty` names the key that says which kind a mapping is (`task`, `bash`, ...).
    const first = firstProperty(root, b);
    const otherKind = first && data && typeof data === "object" && !first.includes(Object.keys(data)[0]);
    return { problems, missing: missing.length + (otherKind ? 1 : 0) };
  });
  const fits = tried.filter((t) => t.problems.length === 0).length;
  if (fits > 0) return [];
  if (data === null || typeof data !== "object") {
    const reasons = [...new Set(tried.flatMap((t) => t.problems.map((p) => p.message)))];
    const shown = reasons.slice(0, 5).join("; ") + (reasons.length > 5 ? `; … (${reasons.length - 5} more)` : "");
    return [{ path, message: `fits none of its ${branches.length} forms: ${shown}` }];
  }
  // Every branch refusing the value of the same key (a task name none of the 259 tasks has): that key picks the
  // branch, and the data names none the schema knows.
  const refusals = tried.map(
    (t) => new Set(t.problems.filter((p) => /^must (match|be one of|be ")/.test(p.message)).map((p) => p.path)),
  );
  const key = [...refusals[0]].find((p) => p !== path && refusals.every((r) => r.has(p)));
  if (key !== undefined) return [{ path: key, message: `is none of the ${branches.length} values the schema knows` }];
  tried.sort((a, b) => a.missing - b.missing || a.problems.length - b.problems.length);
  return tried[0].problems;
}

function firstProperty(root, node) {
  for (let n = node, hops = 0; n && typeof n === "object" && hops < 10; n = n.$ref && resolve(root, n.$ref), hops++)
    if (n.firstProperty) return n.firstProperty;
  return undefined;
}

module.exports = { schema };
