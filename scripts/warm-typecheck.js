#!/usr/bin/env node
// Warms the ts-node cache that `pulumi up` (and `npm start`, which runs the program the same way) reads, so the
// first run on this machine does not pay for compiling and type-checking the program (so that `npm start` on a
// new folder stays within a few seconds, type-checking included).
//
// The CLI's language host runs the program through @pulumi/pulumi/cmd/run, which registers the vendored ts-node
// 7.0.1 (run.js, "if (typeScript)" block). ts-node caches each compiled file in
// os.tmpdir()/ts-node-<sha256(homedir)>/<digest of TypeScript version, compiler options, type-check, compiler>/
// <sha256(extension + file content)>.js (vendor/ts-node@7.0.1/index.js: register, readThrough, getCacheName), and only
// writes a file there after it compiled AND type-checked it without a diagnostic. So this script registers ts-node
// with exactly the options run.js builds for this project, from the project root as run.js does (--pwd), and
// compiles index.ts, components/*.ts and the local files they import through the returned service. It never runs the program. A file whose
// content changes misses the cache and is checked again, so a type error is still reported.
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { dirname, join, resolve } = require("node:path");

const root = resolve(__dirname, "..");

function runtimeOptions() {
  const { parse } = require("yaml");
  const doc = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) ?? {};
  return doc.runtime?.options ?? {};
}

function main() {
  const runtime = runtimeOptions();
  if (runtime.typescript === false) return "the project is not TypeScript: nothing to warm";
  if (process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true")
    return "PULUMI_NODEJS_TRANSPILE_ONLY: nothing is type-checked";
  // run.js runs in the project root (--pwd) and reads the tsconfig relative to it.
  process.chdir(root);
  const tsutils = require("@pulumi/pulumi/tsutils");
  const tsConfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? runtime.tsconfig ?? "tsconfig.json";
  const skipProject = !existsSync(tsConfigPath);
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
  const transpileOnly = process.env.PULUMI_NODEJS_TRANSPILE_ONLY
    ? process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true"
    : compilerOptions.noCheck;
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  const packageObject = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (packageObject.type === "module") return "an ES module project runs through ts-node/esm: not warmed";
  const ts = require(typescriptRequire);
  const [major, minor] = ts.version.split(".").map(Number);
  const useNodeNext = major > 4 || (major === 4 && minor >= 7);
  // The object run.js passes to tsn.register, field for field (cmd/run/run.js, "Let ts-node deal with registration").
  const options = {
    compiler: typescriptRequire,
    transpileOnly,
    project: tsConfigPath,
    skipProject,
    compilerOptions: {
      target: "ES2020",
      module: useNodeNext ? "nodenext" : "commonjs",
      moduleResolution: useNodeNext ? "nodenext" : "node",
      sourceMap: "true",
      ...compilerOptions,
    },
  };
  const service = require(tsnodeRequire).register(options);
  // index.ts, every components/*.ts, and every local .ts they import (components use common/): what the program's
  // require() calls hand to ts-node. Packages under node_modules are ignored by ts-node, as here.
  const components = join(root, "components");
  const queue = [
    join(root, "index.ts"),
    ...(existsSync(components)
      ? readdirSync(components)
          .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
          .sort()
          .map((f) => join(components, f))
      : []),
  ];
  const files = [];
  while (queue.length > 0) {
    const file = queue.shift();
    if (files.includes(file)) continue;
    files.push(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const base = resolve(dirname(file), fileName);
      const found = [`${base}.ts`, join(base, "index.ts")].find((f) => existsSync(f));
      if (found) queue.push(found);
    }
  }
  const started = performance.now();
  for (const file of files) service.compile(readFileSync(file, "utf8"), file);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `${files.length} files type-checked or found already checked in ${seconds} s; ts-node's cache: ${service.cachedir}`;
}

try {
  console.log(`warm-typecheck: ${main()}`);
} catch (err) {
  // A type error is the program's to report when it runs (npm start, pulumi up); installing must not fail on it.
  const first = String(err?.diagnosticText ?? err?.message ?? err).split("\n")[0];
  console.log(`warm-typecheck: not warmed (${first})`);
}
