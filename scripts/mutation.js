#!/usr/bin/env node
// `npm run mutation`: StrykerJS over the critical files (stryker.config.mjs), then every file held at 90 %.
//   npm run mutation                          every critical file
//   npm run mutation -- verify/report.ts      the critical files named
//   npm run mutation -- --changed HEAD^1      the critical files changed since that commit (CI: the last commit, or
//                                              for a merge commit everything the merged branch changed)
//   npm run mutation -- --report-only [path]  only the per-file check, of the files in an existing JSON report
// Stryker's own `break` threshold holds the score of the whole run; a file's score is checked here, from the JSON
// report, since Stryker has no per-file threshold. Equivalent mutants are marked in the source where they are
// (`// Stryker disable next-line <mutator>: <reason>`) and count as ignored, not as survivors; so do those listed in
// stryker.config.mjs's `equivalent`, where a comment would also hide other mutants of the same kind on the line.
const { execFileSync, spawnSync } = require("node:child_process");
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const threshold = 90;
const reportPath = join(root, "reports", "mutation", "mutation.json");
/** Whether a file's score fails the run (stryker.config.mjs lists the files whose survivors are not dealt with yet). */
let held = () => true;
/** stryker.config.mjs's `equivalent`: single mutants, by file, mutator, the code they change and its replacement. */
let listed = [];

async function main() {
  const { critical, notYetHeld, equivalent } = await import(join(root, "stryker.config.mjs"));
  held = (file) => !notYetHeld.includes(file);
  listed = equivalent ?? [];
  const args = process.argv.slice(2);
  if (args[0] === "--report-only") {
    const report = JSON.parse(readFileSync(args[1] ?? reportPath, "utf8"));
    return checkFiles(Object.keys(report.files), report);
  }
  let files = critical;
  if (args[0] === "--changed") {
    const base = args[1];
    if (!base) return fail("--changed needs a commit, e.g. --changed HEAD^1");
    const changed = execFileSync("git", ["diff", "--name-only", base, "HEAD"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    files = critical.filter((f) => changed.includes(f));
    if (files.length === 0) {
      console.log(`mutation: no critical file changed since ${base}; nothing to run`);
      return 0;
    }
  } else if (args.length > 0) {
    const unknown = args.filter((a) => !critical.includes(a));
    if (unknown.length > 0) return fail(`not a critical file: ${unknown.join(", ")} (see stryker.config.mjs)`);
    files = args;
  }
  console.log(`mutation: ${files.join(", ")}`);
  const started = Date.now();
  const stryker = spawnSync(
    process.execPath,
    [join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js"), "run", "--mutate", files.join(",")],
    { cwd: root, stdio: "inherit" },
  );
  // Stryker exits 1 both when it fails and when the whole run's score is under `break`: only a report written by
  // this run is judged here (a file in notYetHeld can pull the whole run under 90 % without failing it).
  if (stryker.status !== 0 && !(existsSync(reportPath) && statSync(reportPath).mtimeMs >= started))
    return stryker.status ?? 1;
  return checkFiles(files, JSON.parse(readFileSync(reportPath, "utf8")));
}

/** Stryker's score: killed and timed-out mutants of all that compiled, ignored (equivalent) mutants left out. */
function checkFiles(files, report) {
  let low = 0;
  for (const file of files) {
    const mutants = report.files[file]?.mutants ?? [];
    const source = report.files[file]?.source ?? "";
    const matches = (e, m) =>
      e.file === file &&
      e.mutator === m.mutatorName &&
      e.replacement === m.replacement &&
      e.original === originalOf(source, m.location) &&
      ["Survived", "NoCoverage"].includes(m.status);
    const valid = mutants.filter(
      (m) => !["Ignored", "CompileError", "RuntimeError"].includes(m.status) && !listed.some((e) => matches(e, m)),
    );
    for (const e of listed.filter((e) => e.file === file && !mutants.some((m) => matches(e, m))))
      console.log(`mutation: ${file}: the listed equivalent ${e.mutator} of ${e.original} did not survive; drop it`);
    const detected = valid.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
    const ignored = mutants.length - valid.length;
    const score = valid.length === 0 ? 100 : (100 * detected) / valid.length;
    const ok = score >= threshold;
    if (!ok && held(file)) low++;
    console.log(
      `${ok ? "ok  " : held(file) ? "LOW " : "low "} ${score.toFixed(2).padStart(6)} %  ${file}  (${detected} of ${valid.length} detected, ${ignored} ignored as equivalent)${held(file) ? "" : ", not held yet"}`,
    );
  }
  if (low > 0)
    return fail(`${low} file(s) below ${threshold} %: kill the survivors listed above, or mark a true equivalent`);
  const notHeld = files.filter((f) => !held(f)).length;
  console.log(
    `mutation: every held file at ${threshold} % or more${notHeld ? ` (${notHeld} not held yet: stryker.config.mjs)` : ""}`,
  );
  return 0;
}

/** The code a mutant replaces: the report's 1-based lines and columns, as a slice of the file's source. */
function originalOf(source, { start, end }) {
  const lines = source.split("\n");
  const offset = (p) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return source.slice(offset(start), offset(end));
}

function fail(message) {
  console.error(`mutation: ${message}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`mutation: ${err.message}`);
    process.exit(1);
  },
);
