import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root, waitForLine } from "../support/processes";

/** The pids of a process's children, as Linux lists them. */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm start` for real, a signal sent to npm alone (as a CI job's cancel sends it): npm forwards it to its child,
 * which must be the rehearsal itself (`exec` in the script), not a shell that dies of it and leaves the run going.
 */
describe.runIf(process.platform === "linux")("npm start", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops the run when npm alone gets %s: exit 130, the folder released, no process left",
    async (signal) => {
      const dir = join(mkdtempSync(join(tmpdir(), "eca-start-npm-")), "out");
      const npm = spawn("npm", ["start", "--silent", "--", "--dir", dir], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const out = { stdout: "", stderr: "" };
      npm.stdout.on("data", (c) => {
        out.stdout += c;
      });
      npm.stderr.on("data", (c) => {
        out.stderr += c;
      });
      // stdout closes when every process holding it has gone: the rehearsal's too, not only npm's.
      const closed = new Promise<void>((resolve) => npm.stdout.on("close", () => resolve()));
      const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
      const started: number[] = [];
      try {
        await waitForLine(npm, /^rehearsal: local Entra ID at /m);
        started.push(...childrenOf(npm.pid ?? 0));
        expect(started).toHaveLength(1);
        npm.kill(signal);
        const code = await exited;
        await closed;
        expect(code).toBe(130);
        expect(out.stderr).toMatch(/^rehearsal: interrupted: /m);
        expect(out.stdout).not.toMatch(/^rehearsal: done in /m);
        expect(started.filter(running)).toEqual([]);
        expect(existsSync(join(dir, ".rehearsal.lock"))).toBe(false);
      } finally {
        for (const pid of [npm.pid ?? 0, ...started].filter(running)) process.kill(pid, "SIGKILL");
        rmSync(join(dir, ".."), { recursive: true, force: true });
      }
    },
  );
});
