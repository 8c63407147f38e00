import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export const root = join(__dirname, "..", "..");

/** The compiled file `npm run` runs for a source entry point: `verify/main.ts` -> `dist/verify/main.js`. */
export const compiled = (script: string) => join(root, "dist", script.replace(/\.ts$/, ".js"));

/** Runs one of the project's entry points as `npm run` would: the compiled JavaScript (the globalSetup builds it). */
export function runScript(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number } = {},
) {
  const child = spawn(process.execPath, [compiled(script), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  child.stdin.end(options.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

/** Resolves once the child has printed a line matching `pattern` on stdout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got: ${seen}`)),
      timeoutMs,
    );
    child.stdout?.on("data", (c) => {
      seen += c;
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

export const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
