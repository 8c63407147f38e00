#!/usr/bin/env node
// `npm run validate:pipelines` (and CI): checks the pipeline files this repository ships.
// - action.yml against the GitHub Action metadata schema, and the example workflows (docs/examples/*.yml but the
//   Azure one) against the workflow schema, with @action-validator/core (SchemaStore's github-action.json and
//   github-workflow.json, compiled in). Its 0.6.0 schema predates `runs.using: node24` (SchemaStore/schemastore#4882
//   added it), so action.yml is checked with `using` read as node20 and node24 is asserted here instead.
// - Steps that `uses: ./` pass only inputs action.yml declares, and every required one.
// - The Azure Pipelines template and example: no schema ships in any npm package here, so their structure is checked
//   against Azure Pipelines' YAML reference by hand (see checkAzure): parameter types and defaults, step kinds and
//   keys, `${{ parameters.x }}` references, template parameters given, secrets passed through env only, and every
//   `task.setvariable` of a secret carrying issecret=true. Expressions, task inputs and conditions are not evaluated.
// Usage: node scripts/validate-pipelines.js [files...] (default: this repository's files). Exit 1 on any problem.
const { existsSync, readFileSync, readdirSync } = require("node:fs");
const { basename, dirname, join, relative, resolve } = require("node:path");
const { parse } = require("yaml");
const validator = require("@action-validator/core");

const root = join(__dirname, "..");
const problems = [];
const problem = (file, message) => problems.push(`${relative(root, file) || file}: ${message}`);

function schemaErrors(result) {
  const flat = [];
  const walk = (errors) => {
    for (const e of errors ?? []) {
      if (e.states) for (const s of e.states) walk(s.errors);
      else flat.push(`${e.path} ${e.detail ?? e.title}`);
    }
  };
  walk(result.errors);
  return flat;
}

function checkAction(file) {
  const text = readFileSync(file, "utf8");
  const meta = parse(text);
  if (meta?.runs?.using !== "node24") problem(file, "runs.using must be node24");
  if (!meta?.runs?.main || !existsSync(join(dirname(file), meta.runs.main)))
    problem(file, `runs.main ${meta?.runs?.main} does not exist`);
  const result = validator.validateAction(text.replace(/^(\s*using:\s*)["']?node24["']?\s*$/m, "$1node20"));
  for (const e of schemaErrors(result)) problem(file, `schema: ${e}`);
  return meta;
}

function checkWorkflow(file, action) {
  const text = readFileSync(file, "utf8");
  for (const e of schemaErrors(validator.validateWorkflow(text))) problem(file, `schema: ${e}`);
  const workflow = parse(text);
  for (const [jobName, job] of Object.entries(workflow.jobs ?? {}))
    checkActionSteps(file, `job ${jobName}`, job.steps ?? [], action);
}

// Azure Pipelines YAML reference (learn.microsoft.com/azure/devops/pipelines/yaml-schema): parameter types, the
// step kinds and the keys every step may carry.
const parameterTypes = new Set([
  "string",
  "number",
  "boolean",
  "object",
  "step",
  "stepList",
  "job",
  "jobList",
  "deployment",
  "deploymentList",
  "stage",
  "stageList",
]);
const stepKinds = [
  "task",
  "script",
  "bash",
  "pwsh",
  "powershell",
  "checkout",
  "download",
  "downloadBuild",
  "getPackage",
  "publish",
  "template",
  "reviewApp",
];
const commonStepKeys = new Set([
  "condition",
  "continueOnError",
  "displayName",
  "enabled",
  "env",
  "name",
  "timeoutInMinutes",
  "retryCountOnTaskFailure",
  "target",
]);
const kindKeys = {
  task: ["inputs"],
  script: ["workingDirectory", "failOnStderr"],
  bash: ["workingDirectory", "failOnStderr"],
  pwsh: [
    "workingDirectory",
    "failOnStderr",
    "errorActionPreference",
    "warningPreference",
    "informationPreference",
    "verbosePreference",
    "debugPreference",
    "progressPreference",
    "ignoreLASTEXITCODE",
  ],
  powershell: ["workingDirectory", "failOnStderr", "errorActionPreference", "ignoreLASTEXITCODE"],
  template: ["parameters"],
};
const secretNames = /privateKeyPem|certificatePfx|pfxPassword|PASSWORD|TOKEN|SECRET/i;

function checkAzure(file) {
  const text = readFileSync(file, "utf8");
  const doc = parse(text);
  const declared = new Map();
  for (const p of doc.parameters ?? []) {
    if (typeof p?.name !== "string") problem(file, "a parameter has no name");
    else if (!parameterTypes.has(p.type ?? "string")) problem(file, `parameter ${p.name}: unknown type ${p.type}`);
    else if ("default" in p && !defaultFits(p.type ?? "string", p.default))
      problem(file, `parameter ${p.name}: default is not a ${p.type}`);
    else declared.set(p.name, p);
  }
  const used = new Set([...text.matchAll(/\$\{\{[^}]*?parameters\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  for (const name of used) if (!declared.has(name)) problem(file, `\${{ parameters.${name} }} is not declared`);
  for (const name of declared.keys()) if (!used.has(name)) problem(file, `parameter ${name} is never used`);
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) problem(file, "steps must be a non-empty list");
  for (const [i, step] of (doc.steps ?? []).entries()) checkStep(file, `step ${i + 1}`, step);
}

function defaultFits(type, value) {
  if (type === "string") return typeof value === "string";
  if (type === "number") return typeof value === "number";
  if (type === "boolean") return typeof value === "boolean";
  return true;
}

function checkStep(file, where, step) {
  const kinds = stepKinds.filter((k) => k in step);
  if (kinds.length !== 1) return problem(file, `${where}: needs exactly one of ${stepKinds.join(", ")}`);
  const kind = kinds[0];
  for (const key of Object.keys(step))
    if (key !== kind && !commonStepKeys.has(key) && !(kindKeys[kind] ?? []).includes(key))
      problem(file, `${where} (${kind}): unknown key ${key}`);
  if (kind === "task" && !/^[A-Za-z][\w.-]*@\d+$/.test(step.task))
    problem(file, `${where}: task needs a @major version`);
  if (kind === "template") checkTemplateUse(file, where, step);
  if (typeof step.name === "string" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(step.name))
    problem(file, `${where}: name must be letters, digits and underscores`);
  const script = typeof step[kind] === "string" && kind !== "task" && kind !== "template" ? step[kind] : "";
  // A secret macro in a script's text lands in the script file; secrets go through env.
  for (const m of script.matchAll(/\$\(([A-Za-z_.]+)\)/g))
    if (secretNames.test(m[1])) problem(file, `${where}: secret $(${m[1]}) used in the script; map it in env`);
  for (const line of script.split("\n"))
    if (/##vso\[task\.setvariable [^\]]*\]/.test(line) && secretNames.test(line) && !/issecret=true/.test(line))
      problem(file, `${where}: a secret passed on with task.setvariable without issecret=true`);
  if (step.env !== undefined && (typeof step.env !== "object" || Array.isArray(step.env)))
    problem(file, `${where}: env must be a mapping`);
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
 * steps) gets the `uses: ./` input check; an Azure Pipelines one (`task:` or `template:` steps) the Azure checks on
 * its steps, with templates resolved from the repository's root.
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
      for (const [n, step] of steps.entries())
        checkStep(join(root, "azure-pipelines.yml"), `${basename(file)} yaml block ${i + 1}, step ${n + 1}`, step);
      continue;
    }
    if (doc?.on && doc?.jobs) {
      for (const e of schemaErrors(validator.validateWorkflow(text)))
        problem(file, `yaml block ${i + 1}: schema: ${e}`);
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

function main() {
  const args = process.argv.slice(2);
  const examples = join(root, "docs", "examples");
  const files = args.length
    ? args.map((f) => resolve(f))
    : [
        join(root, "action.yml"),
        ...readdirSync(examples).map((f) => join(examples, f)),
        ...readdirSync(join(root, "templates")).map((f) => join(root, "templates", f)),
        join(root, "README.md"),
        ...readdirSync(join(root, "docs"))
          .filter((f) => f.endsWith(".md"))
          .map((f) => join(root, "docs", f)),
      ];
  const action = parse(readFileSync(join(root, "action.yml"), "utf8"));
  for (const file of files) {
    if (file.endsWith(".md")) checkMarkdown(file, action);
    else if (/(^|[\\/])action\.ya?ml$/.test(file)) checkAction(file);
    else if (/azure-pipelines|[\\/]templates[\\/]/.test(file)) checkAzure(file);
    else checkWorkflow(file, action);
  }
  for (const p of problems) console.error(p);
  console.log(
    `${files.length} pipeline files checked: ${problems.length === 0 ? "valid" : `${problems.length} problems`}`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}

main();
