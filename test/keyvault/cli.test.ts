import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { keyVaultCommand } from "../../keyvault/command";
import type { LocalKeyVault } from "../../keyvault/server";
import { startEntra, type TestEntra } from "../support/entra";
import { root, runScript, waitForLine } from "../support/processes";
import { expectHolds } from "../support/secrets";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => ({ write: (t: string) => into.push(...t.replace(/\n$/, "").split("\n")) });
  return { out, err, io: { stdout: lines(out), stderr: lines(err), env: {}, stdin: (async function* () {})() } };
}

const main = (argv: string[], cliIo: ReturnType<typeof io>["io"], stop?: (v: LocalKeyVault) => Promise<unknown>) =>
  runCommand(keyVaultCommand(stop), argv, cliIo);

const refused = (port: number) =>
  new Promise<boolean>((resolve) =>
    connect({ host: "127.0.0.1", port })
      .once("connect", function (this: Socket) {
        this.destroy();
        resolve(false);
      })
      .once("error", () => resolve(true)),
  );

const tenant = "8f5c7d3e-1a2b-4c5d-9e8f-0a1b2c3d4e5f";

describe("keyvault main, in process", () => {
  let entra: TestEntra;
  let dir: string;
  beforeAll(async () => {
    entra = await startEntra();
    dir = mkdtempSync(join(tmpdir(), "eca-kv-cli-"));
  });
  afterAll(async () => {
    await entra?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const authority = () => `${entra.authorityHost}/${entra.tenantId}`;

  it.each([
    [["--entra", `https://localhost:1/${tenant}`], /^keyvault: --state is required/],
    [["--state", "x.json"], /^keyvault: --entra is required/],
    [["--state", "x.json", "--entra", `http://localhost:1/${tenant}`], /^keyvault: --entra must be an authority https/],
    [["--state", "x.json", "--entra", "https://localhost:1/hunter2hunter2"], /^keyvault: --entra must be an authority/],
    // The authority host alone names no tenant: the message points at the line of npm run entra that does.
    [
      ["--state", "x.json", "--entra", "https://localhost:1"],
      /--entra must be an authority .*the authority: line npm run entra prints/,
    ],
    [["--state", "x.json", "--entra", `https://localhost:1/${tenant}`, "--port", "sk-secret"], /--port is not a port/],
    [["--state", "x.json", "--entra", `https://localhost:1/${tenant}`, "--port", "70000"], /--port 70000 is not/],
    [["--state", "x.json", "--colour"], /^keyvault: unknown option --colour; see --help$/],
  ])("rejects %j with a one-line reason and exit code 2", async (args, message) => {
    const o = io();
    expect(await main(args, o.io)).toBe(2);
    expect(o.err).toHaveLength(1);
    expect(o.err[0]).toMatch(message);
    expect(o.err[0]).not.toContain("hunter2");
    expect(o.err[0]).not.toContain("sk-secret");
  });

  it("prints the usage for --help and exits 0", async () => {
    const o = io();
    expect(await main(["--help"], o.io)).toBe(0);
    expect(o.out[0]).toMatch(/^usage: npm run keyvault -- --state <file> --entra <authority>/);
  });

  it("exits 1 naming --entra-ca when the Entra ID's CA file is missing or holds no certificate", async () => {
    const o = io();
    const state = join(dir, "no-ca", "keyvault.json");
    expect(await main(["--state", state, "--entra", authority()], o.io)).toBe(1);
    expect(o.err[0]).toMatch(/^keyvault: --entra-ca .*ca\.pem does not exist/);
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello");
    const p = io();
    expect(await main(["--state", state, "--entra", authority(), "--entra-ca", notPem], p.io)).toBe(1);
    expect(p.err[0]).toMatch(/holds no PEM certificate/);
  });

  it("serves until told to stop, printing the vault URL, CA and admin key files but never the key", async () => {
    const state = join(dir, "serve", "keyvault.json");
    const o = io();
    let port = 0;
    const code = await main(
      ["--state", state, "--entra", authority(), "--entra-ca", entra.caPath],
      o.io,
      async (vault) => {
        port = vault.port;
        expect(await refused(vault.port)).toBe(false);
        expect(readFileSync(vault.adminKeyPath, "utf8")).toContain(vault.adminKey);
        expectHolds(o.out.join("\n"), vault.adminKey, "the output holds the admin key", false);
      },
    );
    expect(code).toBe(0);
    expect(o.out).toContain(`vault URL: https://localhost:${port}`);
    expect(o.out).toContain(`CA file: ${state}.ca.pem`);
    expect(o.out).toContain(`admin key file: ${state}.admin-key`);
    expect(o.out.at(-1)).toBe("stopped");
    expect(await refused(port)).toBe(true);
    expect(existsSync(`${state}.lock`)).toBe(false);
  });
});

/** `npm run keyvault` for real: `exec` in the script makes npm's forwarded signal reach the server. */
describe("npm run keyvault", () => {
  let entra: TestEntra;
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(() => entra?.stop());

  it.each(["SIGTERM", "SIGINT"] as const)("stops the server when npm gets %s", async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), "eca-kv-npm-"));
    const state = join(dir, "keyvault.json");
    const npm = spawn(
      "npm",
      [
        "run",
        "--silent",
        "keyvault",
        "--",
        "--state",
        state,
        "--entra",
        `${entra.authorityHost}/${entra.tenantId}`,
        "--entra-ca",
        entra.caPath,
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    const out = { text: "" };
    npm.stdout.on("data", (c) => {
      out.text += c;
    });
    const closed = new Promise<void>((resolve) => npm.stdout.on("close", () => resolve()));
    try {
      const [, port] = await waitForLine(npm, /vault URL: https:\/\/localhost:(\d+)\n[\s\S]*serving on/);
      npm.kill(signal);
      await closed;
      expect(out.text).toMatch(/stopped\n$/);
      expect(await refused(Number(port))).toBe(true);
      expect(existsSync(`${state}.lock`)).toBe(false);
    } finally {
      if (npm.exitCode === null) npm.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(process.platform === "linux")(
    "exits 1 at once with a one-line reason for a state file in a folder that cannot be made",
    async () => {
      const { code, stderr } = await runScript(
        "keyvault/main.ts",
        [
          "--state",
          "/proc/eca-nope/keyvault.json",
          "--entra",
          `${entra.authorityHost}/${entra.tenantId}`,
          "--entra-ca",
          entra.caPath,
        ],
        { timeoutMs: 20_000 },
      ).done;
      expect(code).toBe(1);
      expect(stderr).toBe(
        "keyvault: state file /proc/eca-nope/keyvault.json cannot be used (ENOENT: no such file or directory, mkdir '/proc/eca-nope'); pass a --state in a folder you can write\n",
      );
    },
  );

  it("exits 2 with a one-line reason for bad arguments", async () => {
    const { code, stderr } = await runScript("keyvault/main.ts", ["--state", "x.json"]).done;
    expect(code).toBe(2);
    expect(stderr).toBe(
      "keyvault: --entra is required (the local Entra ID's authority, https://localhost:<port>/<tenant id>)\n",
    );
  });
});
