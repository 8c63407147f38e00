import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";

/** How the CLI's Node.js language host starts a program (sdk/nodejs/cmd/pulumi-language-nodejs/main.go). */
export interface Launch {
  root: string;
  project: string;
  stack: string;
  organization: string;
  monitor: string;
  dryRun: boolean;
  config: Record<string, string>;
  secretKeys: string[];
}

export interface Program {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) and the program's stderr. */
  exited: Promise<{ code: number | string; stderr: string }>;
  /** Lines the program printed on stdout: the CLI shows them as info diagnostics. */
  onStdout(listener: (line: string) => void): void;
}

/** `runtime.options` of Pulumi.yaml, which the language host turns into PULUMI_NODEJS_* variables. */
function runtimeOptions(root: string): {
  typescript: boolean;
  tsconfig?: string;
  nodeargs?: string;
  main?: string;
} {
  const file = join(root, "Pulumi.yaml");
  const doc: unknown = existsSync(file) ? parse(readFileSync(file, "utf8")) : {};
  const runtime = isRecord(doc) ? doc.runtime : undefined;
  const options = isRecord(runtime) && isRecord(runtime.options) ? runtime.options : {};
  return {
    typescript: options.typescript !== false,
    tsconfig: typeof options.tsconfig === "string" ? options.tsconfig : undefined,
    nodeargs: typeof options.nodeargs === "string" ? options.nodeargs : undefined,
    // Pulumi.yaml `main`: the language host passes it as the program instead of "." (the package's own entry).
    main: isRecord(doc) && typeof doc.main === "string" && doc.main !== "" ? doc.main : undefined,
  };
}

/**
 * `@pulumi/pulumi/cmd/run` as Node would find the program's `@pulumi/pulumi`: in node_modules of the program's
 * folder or of a folder above it (a program in a subfolder of a package, such as an example, uses the package's).
 */
function runEntry(root: string): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const entry = join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run");
    if (existsSync(entry) || dirname(dir) === dir) return entry;
  }
}

/**
 * Starts `node node_modules/@pulumi/pulumi/cmd/run` with the flags and
 * environment the language host passes, the engine's address as both
 * monitor and engine, from the project root.
 */
export function launchProgram(l: Launch): Program {
  const options = runtimeOptions(l.root);
  const entry = runEntry(l.root);
  const args = [
    ...(options.nodeargs ? options.nodeargs.split(/\s+/).filter(Boolean) : []),
    entry,
    `--monitor=${l.monitor}`,
    `--engine=${l.monitor}`,
    `--organization=${l.organization}`,
    `--project=${l.project}`,
    `--stack=${l.stack}`,
    `--pwd=${l.root}`,
    `--root-directory=${l.root}`,
    ...(l.dryRun ? ["--dry-run"] : []),
    "--parallel=48",
    options.main ?? ".",
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(l.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(l.secretKeys),
  };
  if (options.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  const child = spawn(process.execPath, args, { cwd: l.root, env, stdio: ["ignore", "pipe", "pipe"] });
  const stderr: Buffer[] = [];
  child.stderr?.on("data", (c: Buffer) => stderr.push(c));
  const listeners: ((line: string) => void)[] = [];
  let pending = "";
  child.stdout?.on("data", (c: Buffer) => {
    pending += c.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) for (const f of listeners) f(line);
  });
  const exited = new Promise<{ code: number | string; stderr: string }>((resolve) => {
    child.on("error", (err) => resolve({ code: "spawn", stderr: err.message }));
    child.on("close", (code, signal) => {
      if (pending) for (const f of listeners) f(pending);
      resolve({ code: code ?? signal ?? "unknown", stderr: Buffer.concat(stderr).toString("utf8") });
    });
  });
  return { child, exited, onStdout: (f) => listeners.push(f) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
