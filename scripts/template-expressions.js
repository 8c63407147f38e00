// Azure Pipelines' conditional insertion (`- ${{ if <condition> }}:`, `${{ elseif <condition> }}`, `${{ else }}`) for
// the pipeline files' check (scripts/validate-pipelines.js): a template is expanded for given parameter values into
// the plain YAML Azure Pipelines would run, which the JSON schema can then check. The schema knows no template
// expressions (microsoft/azure-pipelines-vscode service-schema.json), so a template with them is checked once per
// combination of the values its conditions test.
//
// Only what this repository's templates need is understood, and anything else is refused (an Error naming the
// expression), never guessed: the functions eq, ne, not, and, or; parameters.<name>; 'string' literals, numbers,
// true and false (in any case). As Azure Pipelines does (learn.microsoft.com/azure/devops/pipelines/process/expressions:
// eq, "ordinal ignore-case comparison for strings"), eq and ne compare strings case-insensitively, and an empty
// string, 0 and false are false. `${{ parameters.x }}` inside values is left as it is: values are not evaluated.

const directive = /^\$\{\{\s*(if|elseif|else)\b(.*?)\s*\}\}$/s;

/** A conditional-insertion key's kind and condition, or undefined for an ordinary key. */
function parseDirective(key) {
  const m = directive.exec(key);
  if (!m) return undefined;
  const [, kind, rest] = m;
  const condition = rest.trim();
  if (kind === "else" && condition !== "") throw new Error(`\${{ else }} takes no condition: ${key}`);
  if (kind !== "else" && condition === "") throw new Error(`\${{ ${kind} }} needs a condition: ${key}`);
  return { kind, condition };
}

/** Reads a condition into a tree: calls, parameter references and literals. */
function parseCondition(text) {
  const tokens = [];
  const token = /\s*('(?:[^']|'')*'|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?|[(),])\s*/y;
  while (token.lastIndex < text.length) {
    const at = token.lastIndex;
    const m = token.exec(text);
    if (!m) throw new Error(`cannot read the condition ${text} at character ${at + 1}`);
    tokens.push(m[1]);
  }
  let i = 0;
  const next = () => tokens[i++];
  const expression = () => {
    const token = next();
    if (token === undefined) throw new Error(`the condition ${text} ends too soon`);
    if (token.startsWith("'")) return { literal: token.slice(1, -1).replace(/''/g, "'") };
    if (/^-?\d/.test(token)) return { literal: Number(token) };
    if (/^(true|false)$/i.test(token)) return { literal: token.toLowerCase() === "true" };
    if (token.startsWith("parameters.")) return { parameter: token.slice("parameters.".length) };
    if (/^[A-Za-z_]\w*$/.test(token) && tokens[i] === "(") {
      next();
      const args = [];
      while (tokens[i] !== ")") {
        args.push(expression());
        if (tokens[i] === ",") next();
        else if (tokens[i] !== ")") throw new Error(`the condition ${text} has no closing parenthesis`);
      }
      next();
      return { call: token.toLowerCase(), args };
    }
    throw new Error(`the condition ${text} uses ${token}, which this check does not evaluate`);
  };
  const tree = expression();
  if (i !== tokens.length) throw new Error(`the condition ${text} has more after its end`);
  return tree;
}

const truthy = (v) => !(v === false || v === 0 || v === "" || v === null || v === undefined);
const asString = (v) => (typeof v === "boolean" ? (v ? "True" : "False") : String(v ?? ""));
const same = (a, b) =>
  typeof a === "number" && typeof b === "number" ? a === b : asString(a).toLowerCase() === asString(b).toLowerCase();

const functions = {
  eq: { arity: [2, 2], run: ([a, b]) => same(a, b) },
  ne: { arity: [2, 2], run: ([a, b]) => !same(a, b) },
  not: { arity: [1, 1], run: ([a]) => !truthy(a) },
  and: { arity: [2, Infinity], run: (args) => args.every(truthy) },
  or: { arity: [2, Infinity], run: (args) => args.some(truthy) },
};

/** The value of a condition for the given parameter values (a Map or object of name to value). */
function evaluate(text, parameters) {
  const values = parameters instanceof Map ? parameters : new Map(Object.entries(parameters));
  const run = (node) => {
    if ("literal" in node) return node.literal;
    if ("parameter" in node) {
      if (!values.has(node.parameter))
        throw new Error(`the condition ${text} names parameters.${node.parameter}, which is not declared`);
      return values.get(node.parameter);
    }
    const fn = functions[node.call];
    if (!fn) throw new Error(`the condition ${text} calls ${node.call}, which this check does not evaluate`);
    if (node.args.length < fn.arity[0] || node.args.length > fn.arity[1])
      throw new Error(
        `the condition ${text}: ${node.call} takes ${fn.arity[0]}${fn.arity[1] === fn.arity[0] ? "" : " or more"} arguments`,
      );
    return fn.run(node.args.map(run));
  };
  return truthy(run(parseCondition(text)));
}

/**
 * The parameters the conditions of a document name, each with the literals it is compared with (`eq`, `ne`), to
 * know which values to try.
 */
function conditionParameters(node, found = new Map()) {
  const note = (tree) => {
    if ("parameter" in tree && !found.has(tree.parameter)) found.set(tree.parameter, new Set());
    if (!("call" in tree)) return;
    tree.args.forEach(note);
    if (tree.call !== "eq" && tree.call !== "ne") return;
    const [a, b] = tree.args;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ])
      if (x && y && "parameter" in x && "literal" in y) found.get(x.parameter).add(y.literal);
  };
  if (Array.isArray(node)) for (const item of node) conditionParameters(item, found);
  else if (node !== null && typeof node === "object")
    for (const [key, value] of Object.entries(node)) {
      const d = parseDirective(key);
      if (d && d.kind !== "else") note(parseCondition(d.condition));
      conditionParameters(value, found);
    }
  return found;
}

/**
 * The document as Azure Pipelines expands it for these parameter values: in a sequence, an item that is a mapping
 * of one conditional key inserts its list's items (or, for a mapping, the mapping itself) when taken; in a mapping,
 * a conditional key merges its mapping in when taken. if, elseif and else chain as in Azure Pipelines: an elseif or
 * else belongs to the if just before it.
 */
function expand(node, parameters) {
  if (Array.isArray(node)) {
    const out = [];
    let chain; // undefined: no if before; true: a branch of this chain was taken; false: none yet
    for (const item of node) {
      const d = isDirectiveItem(item);
      if (!d) {
        chain = undefined;
        out.push(expand(item, parameters));
        continue;
      }
      const take = branchTaken(d, chain, parameters, Object.keys(item)[0]);
      chain = nextChain(d, chain, take);
      if (!take) continue;
      const body = expand(Object.values(item)[0], parameters);
      if (Array.isArray(body)) out.push(...body);
      else if (body !== null && body !== undefined) out.push(body);
    }
    return out;
  }
  if (node === null || typeof node !== "object") return node;
  const out = {};
  let chain;
  for (const [key, value] of Object.entries(node)) {
    const d = parseDirective(key);
    if (!d) {
      chain = undefined;
      out[key] = expand(value, parameters);
      continue;
    }
    const take = branchTaken(d, chain, parameters, key);
    chain = nextChain(d, chain, take);
    if (!take) continue;
    const body = expand(value, parameters);
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw new Error(`${key} inside a mapping must hold a mapping`);
    Object.assign(out, body);
  }
  return out;
}

/** After a branch: an if starts a chain, an elseif continues it (taken once any branch was), an else ends it. */
const nextChain = (d, chain, take) => (d.kind === "else" ? undefined : d.kind === "if" ? take : chain || take);

function isDirectiveItem(item) {
  if (item === null || typeof item !== "object" || Array.isArray(item)) return undefined;
  const keys = Object.keys(item);
  const d = keys.length > 0 ? parseDirective(keys[0]) : undefined;
  if (d && keys.length > 1) throw new Error(`${keys[0]} must be the only key of its list item`);
  return d;
}

function branchTaken(d, chain, parameters, key) {
  if (d.kind !== "if" && chain === undefined) throw new Error(`${key} follows no \${{ if }}`);
  if (d.kind === "if") return evaluate(d.condition, parameters);
  if (chain) return false;
  return d.kind === "else" || evaluate(d.condition, parameters);
}

/**
 * The parameter values to check a template with: the defaults, then, for each parameter a condition names, each
 * other value that can change a condition: the other boolean; for a string or a number, each literal it is compared
 * with, and also, for a string, empty if the default is not (else `sample`), for a number, the default plus one. Each combination differs from the defaults
 * in one parameter.
 */
function variants(declared, document, sample = "sample") {
  const defaults = new Map(declared.map((p) => [p.name, p.default]));
  const out = [{ label: "", values: defaults }];
  for (const [name, literals] of conditionParameters(document)) {
    const p = declared.find((d) => d.name === name);
    if (!p) continue; // evaluate() reports it
    const type = p.type ?? "string";
    const others =
      type === "boolean"
        ? [!p.default]
        : type === "number"
          ? [...[...literals].filter((l) => typeof l === "number"), Number(p.default ?? 0) + 1]
          : type === "string"
            ? [...literals, p.default === "" || p.default === undefined ? sample : ""]
            : [];
    for (const other of new Set(others)) {
      if (other === p.default) continue;
      out.push({ label: `with ${name}: ${JSON.stringify(other)}`, values: new Map([...defaults, [name, other]]) });
    }
  }
  return out;
}

module.exports = { evaluate, expand, variants, conditionParameters };
