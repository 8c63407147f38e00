import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { entraCommand } from "../../entra/command";
import type { LocalEntra } from "../../entra/server";
import { seedPki, startEntra } from "../support/entra";
import { root, runScript, waitForLine } from "../support/processes";
import { expectHolds } from "../support/secrets";

const tempState = async () => {
  const state = join(mkdtempSync(join(tmpdir(), "eca-cli-")), "entra.json");
  await seedPki(state);
  return state;
};

/** The CLI's streams in memory; `out` and `err` hold its lines. */
function io() {
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => ({ write: (t: string) => into.push(...t.replace(/\n$/, "").split("\n")) });
  return { out, err, io: { stdout: lines(out), stderr: lines(err), env: {}, stdin: (async function* () {})() } };
}

const main = (argv: string[], cliIo: ReturnType<typeof io>["io"], stop?: (entra: LocalEntra) => Promise<unknown>) =>
  runCommand(entraCommand(stop), argv, cliIo);

const refused = (port: number) =>
  new Promise<boolean>((resolve) =>
    connect({ host: "127.0.0.1", port })
      .once("connect", function (this: import("node:net").Socket) {
        this.destroy();
        resolve(false);
      })
      .once("error", () => resolve(true)),
  );

describe("entra main, in process", () => {
  it.each([
    [["--port", "0"], /^entra: --state is required \(the state file/],
    [["--state", "x.json", "--port", "http"], /^entra: --port is not a port number/],
    [["--state", "x.json", "--port", "sk-0123456789abcdefSECRET"], /^entra: --port is not a port number \(0-65535/],
    [["--state", "x.json", "--port", "80.5"], /^entra: --port 80.5 is not a port number/],
    [["--state", "x.json", "--propagation-delay", "hunter2hunter2"], /^entra: --propagation-delay must be 0 or more/],
    [["--state", "x.json", "--port", "70000"], /--port 70000 is not a port number/],
    [["--state", "x.json", "--port=-1"], /--port -1 is not a port number/],
    [["--state", "x.json", "--propagation-delay=-1"], /--propagation-delay -1 must be 0 or more seconds/],
    [["--state", "x.json", "--propagation-delay="], /^entra: --propagation-delay must be 0 or more seconds/],
    [["--state", "x.json", "--colour"], /^entra: unknown option --colour; see --help$/],
    [["--state"], /^entra: --state needs a value; see --help$/],
  ])("rejects %j with a one-line reason and exit code 2", async (args, message) => {
    const o = io();
    expect(await main(args, o.io)).toBe(2);
    expect(o.err).toHaveLength(1);
    expect(o.err[0]).toMatch(message);
    // A value that is not a number is never quoted: it could be a secret pasted into the wrong flag.
    for (const arg of args.filter((a) => /[a-z]{4}/i.test(a) && !a.startsWith("-") && a !== "x.json"))
      expect(o.err[0]).not.toContain(arg.slice(0, 4));
    expect(o.out).toEqual([]);
  });

  it("prints the usage for --help and exits 0", async () => {
    const o = io();
    expect(await main(["--help"], o.io)).toBe(0);
    expect(o.out[0]).toMatch(/^usage: npm run entra -- --state <file>/);
    expect(o.out.join("\n")).toContain("admin-key");
  });

  it("serves until told to stop, printing the authority, CA and admin key files but never the key", async () => {
    const state = await tempState();
    const o = io();
    let port = 0;
    const code = await main(["--state", state, "--port", "0"], o.io, async (entra) => {
      port = entra.port;
      expect(await refused(entra.port)).toBe(false);
      expect(readFileSync(entra.adminKeyPath, "utf8")).toContain(entra.adminKey);
      expectHolds(o.out.join("\n"), entra.adminKey, "the output holds the admin key", false);
    });
    expect(code).toBe(0);
    expect(o.out).toContain(`CA file: ${join(dirname(state), "ca.pem")}`);
    expect(o.out).toContain(`admin key file: ${state}.admin-key`);
    expect(o.out.at(-1)).toBe("stopped");
    expect(await refused(port)).toBe(true);
    expect(existsSync(`${state}.lock`)).toBe(false);
    rmSync(dirname(state), { recursive: true, force: true });
  });

  it("exits 1 naming the reason when the state file is in use or the port is taken", async () => {
    const running = await startEntra({ keep: true });
    try {
      const locked = io();
      expect(await main(["--state", running.statePath], locked.io)).toBe(1);
      expect(locked.err.join("\n")).toMatch(/^entra: state file .* is in use by another local Entra ID \(pid \d+\)/);
      const other = await tempState();
      const taken = io();
      expect(await main(["--state", other, "--port", String(running.port)], taken.io)).toBe(1);
      expect(taken.err).toEqual([`entra: --port ${running.port} is in use; pass another, or 0 for a free one`]);
      rmSync(dirname(other), { recursive: true, force: true });
    } finally {
      await running.stop();
      rmSync(dirname(running.statePath), { recursive: true, force: true });
    }
  });

  it("exits 1 with the reason when the state file is not a local Entra ID directory", async () => {
    const state = await tempState();
    const o = io();
    writeFileSync(state, "[]");
    expect(await main(["--state", state], o.io)).toBe(1);
    expect(o.err[0]).toMatch(/is not a local Entra ID state file/);
    rmSync(dirname(state), { recursive: true, force: true });
  });
});

/**
 * `npm run entra` for real. npm 11 forwards SIGTERM and SIGINT to the process
 * its shell runs, which `exec` in the script makes the server's own chain.
 * Only the npm process this test spawned is signalled.
 */
describe("npm run entra", () => {
  /** `npm run entra` on a fresh state file; `closed` settles when stdout closes, i.e. its last writer, the server, exited. */
  async function npmRunEntra() {
    const state = await tempState();
    const npm = spawn("npm", ["run", "--silent", "entra", "--", "--state", state, "--port", "0"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = { text: "" };
    npm.stdout.on("data", (c) => {
      out.text += c;
    });
    const closed = new Promise<void>((resolve) => npm.stdout.on("close", () => resolve()));
    return { state, npm, out, closed };
  }

  it.each(["SIGTERM", "SIGINT"] as const)("stops the server when npm gets %s", async (signal) => {
    const { state, npm, out, closed } = await npmRunEntra();
    try {
      const [, port] = await waitForLine(npm, /authority host: https:\/\/localhost:(\d+)\n[\s\S]*serving on/);
      npm.kill(signal);
      await closed;
      expect(out.text).toMatch(/stopped\n$/);
      expect(await refused(Number(port))).toBe(true);
      expect(existsSync(`${state}.lock`)).toBe(false);
      expect(
        await new Promise((resolve) => (npm.exitCode === null ? npm.on("exit", resolve) : resolve(0))),
      ).toBeDefined();
    } finally {
      if (npm.exitCode === null) npm.kill("SIGKILL");
      rmSync(dirname(state), { recursive: true, force: true });
    }
  });

  it("stops the server when npm itself is killed outright (SIGKILL), so nothing is left listening", async () => {
    const { state, npm, out, closed } = await npmRunEntra();
    try {
      const [, port] = await waitForLine(npm, /authority host: https:\/\/localhost:(\d+)\n[\s\S]*serving on/);
      npm.kill("SIGKILL");
      await closed;
      expect(out.text).toMatch(/stopped\n$/);
      expect(await refused(Number(port))).toBe(true);
    } finally {
      rmSync(dirname(state), { recursive: true, force: true });
    }
  });

  it("exits 2 with a one-line reason for bad arguments", async () => {
    const { code, stderr } = await runScript("entra/main.ts", ["--port", "0"]).done;
    expect(code).toBe(2);
    expect(stderr).toBe("entra: --state is required (the state file, e.g. .rehearsal/entra.json)\n");
  });
});
