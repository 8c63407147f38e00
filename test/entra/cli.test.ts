import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isRunning, runScript, waitForLine } from "../support/processes";

describe("npm run entra", () => {
  it("prints the real authority host and CA path for --port 0, serves, and exits cleanly on SIGTERM", async () => {
    const state = join(mkdtempSync(join(tmpdir(), "eca-cli-")), "entra.json");
    const run = runScript("entra/main.ts", ["--state", state, "--port", "0", "--propagation-delay", "0"]);
    const [, host] = await waitForLine(
      run.child,
      /authority host: (https:\/\/localhost:(\d+))\n[\s\S]*CA file: (.+)\n/,
    );
    const { stdout } = run.output();
    const caPath = /CA file: (.+)\n/.exec(stdout)![1];
    expect(host).toMatch(/^https:\/\/localhost:\d+$/);
    expect(host).not.toBe("https://localhost:0");
    expect(caPath).toBe(join(dirname(state), "ca.pem"));
    expect(readFileSync(caPath, "utf8")).toContain("BEGIN CERTIFICATE");
    expect(existsSync(state)).toBe(true);
    run.child.kill("SIGTERM");
    const { code } = await run.done;
    expect(code).toBe(0);
    expect(isRunning(run.child.pid!)).toBe(false);
  });

  it.each([
    [["--port", "0"], /--state is required/],
    [["--state", "x.json", "--port", "http"], /--port http is not a port number/],
    [["--state", "x.json", "--propagation-delay=-1"], /--propagation-delay -1 must be 0 or more seconds/],
    [["--state", "x.json", "--colour"], /Unknown option '--colour'/],
  ])("rejects %j with a one-line reason and exit code 2", async (args, message) => {
    const { code, stderr } = await runScript("entra/main.ts", args as string[]).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
