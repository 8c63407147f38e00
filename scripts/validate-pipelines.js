#!/usr/bin/env node
// `npm run validate:pipelines` (and CI): checks the pipeline files this repository ships, against the JSON schemas
// vendored in scripts/schemas/ (sources, commits and licenses in its README) with ajv 8 (scripts/schema-check.js).
// - action.yml against SchemaStore's github-action.json (which knows node24), plus `runs.using` must be node24 and
//   `runs.main` must exist; the example workflows (docs/examples/*.yml but the Azure one) and every whole workflow in
//   the README and docs/*.md against SchemaStore's github-workflow.json.
// - Steps that `uses: ./` pass only inputs action.yml declares, and every required one.
// - The Azure Pipelines template (templates/*.yml, against the schema's step-template form `stepsTemplate`), the
//   example pipeline (against the whole pipeline schema) and the Azure YAML blocks of the README and docs/*.md (a list
//   of steps against `steps`, a pipeline against the whole schema), against microsoft/azure-pipelines-vscode's
//   service-schema.json. On top of the schema, what it cannot express (see checkAzure): every `${{ parameters.x }}`
//   declared and every parameter used, defaults of the declared type, template parameters given and known, step
//   names Azure accepts, secrets passed to scripts through env only, and every `task.setvariable` of a secret
//   carrying issecret=true. Conditional insertions (`${{ if }}`) are expanded for the defaults and for each other
//   value their conditions test, and each expansion is checked (scripts/template-expressions.js); other expressions,
//   task inputs' values and step conditions are not evaluated.
// Usage: node scripts/validate-pipelines.js [files...] (default: this repository's files). Exit 1 on any problem.
const { existsSync, readFileSync, readdirSync } = require("node:fs");
const { basename, dirname, join, relative, resolve } = require("node:path");
const { parse } = require("yaml");
const { schema } = require("./schema-check");
const { expand, variants } = require("./template-expressions");

const githubAction = schema("github-action.schema.json", { unicode: true });
const githubWorkflow = schema("github-workflow.schema.json", { unicode: true });
// Its patterns are .NET regular expressions that a `u` RegExp refuses (scripts/schemas/README.md).
const azurePipelines = schema("azure-pipelines.schema.json", {
  unicode: false,
  pointers: ["", "/definitions/stepsTemplate", "/definitions/steps"],
});

const root = join(__dirname, "..");
const problems = [];
const problem = (file, message) => {
  const line = `${relative(root, file) || file}: ${message}`;
  if (!problems.includes(line)) problems.push(line);
};

function checkAction(file) {
  const text = readFileSync(file, "utf8");
  const meta = parse(text);
  if (meta?.runs?.using !== "node24") problem(file, "runs.using must be node24");
  if (!meta?.runs?.main || !existsSync(join(dirname(file), meta.runs.main)))
    problem(file, `runs.main ${meta?.runs?.main} does not exist`);
  for (const e of githubAction.check(meta)) problem(file, `schema: ${e}`);
  return meta;
}

function checkWorkflow(file, action) {
  const workflow = parse(readFileSync(file, "utf8"));
  for (const e of githubWorkflow.check(workflow)) problem(file, `schema: ${e}`);
  for (const [jobName, job] of Object.entries(workflow.jobs ?? {}))
    checkActionSteps(file, `job ${jobName}`, job.steps ?? [], action);
}

const secretNames = /privateKeyPem|certificatePfx|pfxPassword|PASSWORD|TOKEN|SECRET/i;
const scriptKinds = ["script", "bash", "pwsh", "powershell"];

/** Azure Pipelines reads every scalar as a string; the schema is written for that (scripts/schemas/README.md). */
const asAzureReadsIt = (text) => parse(text, { schema: "failsafe" });

function checkAzure(file) {
  const text = readFileSync(file, "utf8");
  // A file under templates/ is a step template: the schema's `stepsTemplate` (parameters + steps, nothing else).
  const form = /(^|[\\/])templates[\\/]/.test(file) ? "/definitions/stepsTemplate" : "";
  const doc = parse(text);
  // What the schema cannot say: a default of the declared type, and parameters declared exactly when used.
  const declared = new Map();
  for (const p of doc.parameters ?? []) {
    if (typeof p?.name !== "string") continue;
    if ("default" in p && !defaultFits(p.type ?? "string", p.default))
      problem(file, `parameter ${p.name}: default is not a ${p.type}`);
    declared.set(p.name, p);
  }
  const used = new Set([...text.matchAll(/\$\{\{[^}]*?parameters\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  for (const name of used) if (!declared.has(name)) problem(file, `\${{ parameters.${name} }} is not declared`);
  for (const name of declared.keys()) if (!used.has(name)) problem(file, `parameter ${name} is never used`);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) problem(file, "steps must be a non-empty list");
  // Conditional insertions (`${{ if }}`): the schema and the step checks see the file as Azure Pipelines expands it,
  // once for the defaults and once for each other value a condition tests (scripts/template-expressions.js). A
  // problem found in some expansions only names them.
  const raw = asAzureReadsIt(text);
  const found = new Map();
  let runs;
  try {
    runs = variants([...declared.values()], doc);
  } catch (err) {
    return problem(file, `cannot expand its template expressions: ${err.message}`);
  }
  for (const { label, values } of runs) {
    const seen = [];
    try {
      for (const e of azurePipelines.check(expand(raw, values), form)) seen.push(`schema: ${e}`);
      for (const [i, step] of (expand(doc, values).steps ?? []).entries())
        checkStep(file, `step ${i + 1}`, step, (m) => seen.push(m));
    } catch (err) {
      seen.push(`cannot expand its template expressions: ${err.message}`);
    }
    for (const m of new Set(seen)) found.set(m, [...(found.get(m) ?? []), label]);
  }
  for (const [m, labels] of found)
    problem(
      file,
      labels.length === runs.length ? m : `${m} (${labels.map((l) => l || "with the defaults").join("; ")})`,
    );
}

function defaultFits(type, value) {
  if (type === "string") return typeof value === "string";
  if (type === "number") return typeof value === "number";
  if (type === "boolean") return typeof value === "boolean";
  return true;
}

/** A step's rules beyond the schema: its template's parameters, its name, and how secrets reach its script. */
function checkStep(file, where, step, report = (m) => problem(file, m)) {
  if (step === null || typeof step !== "object") return;
  if (typeof step.template === "string") checkTemplateUse(file, where, step);
  // The schema allows `-` and empty names; Azure refuses both (a step name is a variable prefix).
  if (typeof step.name === "string" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(step.name))
    report(`${where}: name must be letters, digits and underscores`);
  // A script step's text, or a task's inline script (AzureCLI@2 inlineScript, Bash@3 and PowerShell@2 script).
  const kind = scriptKinds.find((k) => typeof step[k] === "string");
  const inputs = step.inputs ?? {};
  const script = kind ? step[kind] : ([inputs.inlineScript, inputs.script].find((s) => typeof s === "string") ?? "");
  // A secret macro in a script's text lands in the script file; secrets go through env.
  for (const m of script.matchAll(/\$\(([A-Za-z_.]+)\)/g))
    if (secretNames.test(m[1])) report(`${where}: secret $(${m[1]}) used in the script; map it in env`);
  for (const line of script.split("\n"))
    if (/##vso\[task\.setvariable [^\]]*\]/.test(line) && secretNames.test(line) && !/issecret=true/.test(line))
      report(`${where}: a secret passed on with task.setvariable without issecret=true`);
}

function checkTemplateUse(file, where, step) {
  const target = resolve(dirname(file), step.template);
  if (!existsSync(target)) return problem(file, `${where}: template ${step.template} does not exist`);
  const declared = parse(readFileSync(target, "utf8")).parameters ?? [];
  const given = Object.keys(step.parameters ?? {});
  for (const name of given)
    if (!declared.some((p) => p.name === name)) problem(file, `${where}: the template has no parameter ${name}`);
  for (const p of declared)
    if (!("default" in p) && !given.includes(p.name)) problem(file, `${where}: parameter ${p.name} is required`);
}

/**
 * The YAML examples of the README and docs/: a whole workflow gets the workflow checks; a fragment (a `jobs:` mapping or a list of
 * steps) gets the `uses: ./` input check; an Azure Pipelines one (`task:` or `template:` steps) the Azure schema
 * (a list of steps against its `steps`) and the Azure checks on its steps, with templates resolved from the root.
 */
function checkMarkdown(file, action) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [i, text] of blocks.entries()) {
    let doc;
    try {
      doc = parse(text);
    } catch (err) {
      problem(file, `yaml block ${i + 1} does not parse: ${err.message.split("\n")[0]}`);
      continue;
    }
    const steps = Array.isArray(doc)
      ? doc
      : (doc?.steps ?? Object.values(doc?.jobs ?? {}).flatMap((j) => j.steps ?? []));
    const azure = steps.some((step) => "task" in step || "template" in step);
    if (azure) {
      const form = Array.isArray(doc) ? "/definitions/steps" : "";
      for (const e of azurePipelines.check(asAzureReadsIt(text), form))
        problem(file, `yaml block ${i + 1}: schema: ${e}`);
      for (const [n, step] of steps.entries())
        checkStep(join(root, "azure-pipelines.yml"), `${basename(file)} yaml block ${i + 1}, step ${n + 1}`, step);
      continue;
    }
    if (doc?.on && doc?.jobs) {
      for (const e of githubWorkflow.check(doc)) problem(file, `yaml block ${i + 1}: schema: ${e}`);
    }
    checkActionSteps(file, `yaml block ${i + 1}`, steps, action);
  }
}

function checkActionSteps(file, where, steps, action) {
  for (const step of steps) {
    if (step.uses !== "./") continue;
    const given = Object.keys(step.with ?? {});
    for (const name of given) if (!(name in action.inputs)) problem(file, `${where}: the Action has no input ${name}`);
    for (const [name, spec] of Object.entries(action.inputs))
      if (spec.required && !given.includes(name)) problem(file, `${where}: input ${name} is required`);
  }
}

/** This repository's pipeline files: action.yml, docs/examples, templates, the README and docs/*.md. */
function defaultFiles() {
  const examples = join(root, "docs", "examples");
  return [
    join(root, "action.yml"),
    ...readdirSync(examples).map((f) => join(examples, f)),
    ...readdirSync(join(root, "templates")).map((f) => join(root, "templates", f)),
    join(root, "README.md"),
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => join(root, "docs", f)),
  ];
}

/**
 * Checks the given files (default: this repository's), in this process: one line per problem, and how many files
 * were checked. The tests call it directly, so the compiled schemas load once per test worker.
 */
function validatePipelines(paths = []) {
  problems.length = 0;
  const files = paths.length ? paths.map((f) => resolve(f)) : defaultFiles();
  const action = parse(readFileSync(join(root, "action.yml"), "utf8"));
  for (const file of files) {
    if (file.endsWith(".md")) checkMarkdown(file, action);
    else if (/(^|[\\/])action\.ya?ml$/.test(file)) checkAction(file);
    else if (/azure-pipelines|[\\/]templates[\\/]/.test(file)) checkAzure(file);
    else checkWorkflow(file, action);
  }
  return { checked: files.length, problems: [...problems] };
}

/** What the command prints: the problems on stderr, then the closing line on stdout. */
function summary({ checked, problems: found }) {
  return `${checked} pipeline files checked: ${found.length === 0 ? "valid" : `${found.length} problems`}`;
}

if (require.main === module) {
  const result = validatePipelines(process.argv.slice(2));
  for (const p of result.problems) console.error(p);
  console.log(summary(result));
  process.exitCode = result.problems.length === 0 ? 0 : 1;
}

module.exports = { validatePipelines, summary };
