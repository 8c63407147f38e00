import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { root } from "../support/processes";

/** The committed bundle action.yml names in `runs.main`, run as the runner runs it. */
export const actionEntry = join(root, "action", "dist", "index.mjs");

/** action.yml as the runner reads it. */
export const actionMetadata = () =>
  parse(readFileSync(join(root, "action.yml"), "utf8")) as {
    runs: { using: string; main: string };
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, unknown>;
  };

/** What one run of the Action left behind. */
export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The values registered with `::add-mask::`, in order, unescaped as the runner unescapes them. */
  masked: string[];
  /** stdout without the leading mask commands (what the log shows). */
  log: string;
  /** Whether every `::add-mask::` line came before any other line on stdout. */
  masksFirst: boolean;
  outputs: Record<string, string>;
  summary: string;
  env: string;
  /** The JSON report at the path of the `report` output, read before the runner's temp folder goes. */
  report?: { schema: string; verdict: string; exitCode: number; [field: string]: unknown };
  ms: number;
}

/**
 * Runs the Action's entry as the GitHub runner does (actions/runner src/Runner.Worker/Handlers/NodeScriptActionHandler.cs):
 * `node <main>` in the workspace, each input as INPUT_<NAME> (upper case, dashes kept) with action.yml's defaults for
 * those not given, and the GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_ENV files in a fresh runner temp folder.
 */
export async function runAction(
  inputs: Record<string, string>,
  options: { env?: NodeJS.ProcessEnv; node?: string } = {},
): Promise<ActionRun> {
  const temp = mkdtempSync(join(tmpdir(), "eca-runner-"));
  try {
    const files = {
      GITHUB_OUTPUT: join(temp, "output"),
      GITHUB_STEP_SUMMARY: join(temp, "summary.md"),
      GITHUB_ENV: join(temp, "env"),
    };
    for (const file of Object.values(files)) writeFileSync(file, "");
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: root,
      RUNNER_TEMP: temp,
      ...files,
      ...options.env,
    };
    for (const [name, spec] of Object.entries(actionMetadata().inputs))
      env[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? spec.default ?? "";
    for (const name of Object.keys(inputs))
      if (!(name in actionMetadata().inputs)) throw new Error(`action.yml has no input ${name}`);
    const t = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(options.node ?? process.execPath, [actionEntry], { cwd: root, env, stdio: "pipe" });
        let out = "";
        let err = "";
        child.stdout.on("data", (c) => (out += c));
        child.stderr.on("data", (c) => (err += c));
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("error", reject);
        child.on("close", (exit) => {
          clearTimeout(timer);
          resolve({ code: exit, stdout: out, stderr: err });
        });
      },
    );
    const ms = performance.now() - t;
    const lines = stdout.split("\n").filter((l) => l.length > 0);
    const isMask = (l: string) => l.startsWith("::add-mask::");
    const firstOther = lines.findIndex((l) => !isMask(l));
    const masked = lines.filter(isMask).map((l) => unescapeData(l.slice("::add-mask::".length)));
    const outputs = parseOutputs(readFileSync(files.GITHUB_OUTPUT, "utf8"));
    const reportPath = outputs.report;
    return {
      code,
      stdout,
      stderr,
      masked,
      log: lines.filter((l) => !isMask(l)).join("\n"),
      masksFirst: firstOther === -1 || !lines.slice(firstOther).some(isMask),
      outputs,
      report: reportPath && existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, "utf8")) : undefined,
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
      env: readFileSync(files.GITHUB_ENV, "utf8"),
      ms,
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** A command's data as the runner unescapes it (actions/runner src/Runner.Worker/ActionCommandManager.cs). */
const unescapeData = (data: string) => data.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");

/** GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: block ${heredoc[1]} has no end`);
      outputs[heredoc[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (line.includes("=")) outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return outputs;
}
