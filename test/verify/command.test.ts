import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { verifyCommand } from "../../verify/command";
import { parseOptions } from "../../verify/options";
import { inProcess, stopAndRemove } from "../support/cli";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";

/** verify's command in-process: the same edge as the executable, without a process per case. */
describe("the verify command", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  let dir: string;
  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    dir = mkdtempSync(join(tmpdir(), "eca-verify-command-"));
  });
  afterAll(async () => {
    await stopAndRemove(entra);
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) =>
    inProcess((io) => runCommand(verifyCommand, args, io), options);

  it("reads `pulumi stack output --json --show-secrets` from stdin and answers one JSON object with --json", async () => {
    const printed = await verify(["--outputs", "-", "--ca-file", entra.caPath, "--json"], {
      stdin: JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"])),
    });
    expect(printed.code).toBe(0);
    const report = JSON.parse(printed.stdout);
    expect(Object.keys(report)).toEqual([
      "schema",
      "verdict",
      "exitCode",
      "inputs",
      "warnings",
      "preflight",
      "attempts",
      "checks",
      "timings",
    ]);
    expect(report).toMatchObject({ schema: "entra-cert-auth/verify@1", verdict: "verified", exitCode: 0 });
    expect(report.inputs).toMatchObject({
      source: "outputs",
      clientId: client.clientId,
      privateKey: "[redacted]",
      assertion: "PS256 with x5t#S256",
    });
    expect(report.attempts).toEqual([{ attempt: 1, ms: expect.any(Number), outcome: "token", reason: "token issued" }]);
    expect(report.timings).toEqual({
      preflightMs: expect.any(Number),
      acquireMs: expect.any(Number),
      checkMs: expect.any(Number),
      totalMs: expect.any(Number),
    });
    expect(printed.summary).toContain("verified ✅");
  });

  it("prints a failure's table and verdict on stderr in human mode, and appends it to the step summary", async () => {
    const printed = await verify(["--outputs", "-", "--ca-file", entra.caPath, "--scope", "api://nope/.default"], {
      stdin: JSON.stringify(stackOutputsFor(entra, client)),
    });
    expect(printed.code).toBe(4);
    expect(printed.stdout).toBe("");
    expect(printed.stderr.trim().split("\n").at(-1)).toBe(
      "FAILED (ERR_AUTHENTICATION, exit 4): AADSTS500011: the API (resource) is not in the tenant; check the scope; the API needs a service principal in this tenant",
    );
    expect(printed.summary).toContain("failed ❌");
  });

  it("keeps a pass a pass and prints one JSON object when GITHUB_STEP_SUMMARY cannot be written, warning on stderr", async () => {
    const stdin = JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"]));
    const unwritable = { GITHUB_STEP_SUMMARY: join(dir, "no-such-dir", "summary.md") };
    const json = await verify(["--outputs", "-", "--ca-file", entra.caPath, "--json"], { env: unwritable, stdin });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ verdict: "verified", exitCode: 0 });
    expect(json.stderr).toBe("verify: warning: cannot append the report to GITHUB_STEP_SUMMARY (ENOENT)\n");
    const human = await verify(["--outputs", "-", "--ca-file", entra.caPath], { env: unwritable, stdin });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^verified: /m);
    expect(human.stderr).toBe("verify: warning: cannot append the report to GITHUB_STEP_SUMMARY (ENOENT)\n");
  });

  it("rejects outputs that are not JSON without echoing them", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, `{ "privateKeyPem": ${JSON.stringify(client.cert.privateKeyPem)}, oops }`);
    const printed = await verify(["--outputs", file]);
    expect(printed.code).toBe(2);
    expect(printed.stderr.trim().split("\n").at(-1)).toBe(
      `FAILED (ERR_BAD_INPUT, exit 2): --outputs ${file} is not valid JSON: pass the output of \`pulumi stack output --json --show-secrets\``,
    );
  });

  it("says an empty outputs file is empty", async () => {
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "  \n");
    const printed = await verify(["--outputs", empty, "--json"]);
    expect(JSON.parse(printed.stdout).error.message).toBe(
      `--outputs ${empty} is empty: pipe in \`pulumi stack output --json --show-secrets\``,
    );
  });

  it.each([
    [["--outputs", "x.json", "--stack", "dev"], "--outputs and --stack both given: choose one source of outputs"],
    [["--outputs", "x.json", "--thumbprint", "md5"], "--thumbprint must be sha256 or sha1"],
    [["--outputs", "x.json", "--timeout", "soon"], "--timeout must be a positive number of seconds"],
    [["--outputs", "x.json", "--timeout", "0"], "--timeout must be a positive number of seconds"],
    [["--outputs", "x.json", "--warn-days=-1"], "--warn-days must be a non-negative number of days"],
    [["--outputs"], "--outputs needs a value; see --help"],
    [["stray"], "unexpected argument: every value follows its --flag; see --help"],
  ])("rejects %j with exit code 2, one line on stderr and one JSON object on stdout", async (args, message) => {
    const printed = await verify([...args, "--json"]);
    expect(printed.code).toBe(2);
    expect(printed.stderr).toBe(`verify: ${message}\n`);
    expect(JSON.parse(printed.stdout)).toMatchObject({ verdict: "failed", exitCode: 2, error: { message } });
  });

  it("asks for the AZURE_* variables when no source is given", async () => {
    const printed = await verify(["--json"], { env: {} });
    expect(printed.code).toBe(2);
    expect(JSON.parse(printed.stdout).error.message).toBe(
      "AZURE_TENANT_ID is not set: give --outputs, --stack, or the AZURE_* environment variables (see --help)",
    );
  });

  it("explains itself with --help, including the exit codes", async () => {
    const printed = await verify(["--help"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(
      "Exit codes: 0 verified, 2 bad input, 3 preflight failed, 4 authentication failed,\n5 token check failed, 6 timed out, 9 a certificate ends within --within-days (--check-expiry),\n1 unexpected error.",
    );
  });

  it("parses options with their defaults and lists", () => {
    expect(parseOptions(["--expected-roles", " A, B ,,", "--thumbprint", "sha1", "--warn-days", "0"])).toEqual({
      thumbprint: "sha1",
      timeoutSeconds: 300,
      warnDays: 0,
      expectedRoles: ["A", "B"],
    });
  });

  it("reads a stack's outputs through the Automation API and the pulumi CLI on PATH", async () => {
    const bin = join(dir, "bin");
    const outputs = stackOutputsFor(entra, client, ["Data.Read"]);
    writeFileSync(join(dir, "plain.json"), JSON.stringify(outputs));
    writeFileSync(join(dir, "masked.json"), JSON.stringify({ ...outputs, privateKeyPem: "[secret]" }));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: entra-cert-auth\nruntime: nodejs\n");
    // A stand-in that answers the commands the Automation API runs here, as the CLI does.
    const script = `#!/bin/sh
case "$*" in
  version) echo "v3.248.0" ;;
  *"stack select --stack dev"*) exit 0 ;;
  *"stack select"*) echo "error: no stack named '$4' found" >&2; exit 255 ;;
  *"--show-secrets"*) cat "${dir}/plain.json" ;;
  *"stack output --json"*) cat "${dir}/masked.json" ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "pulumi"), script);
    chmodSync(join(bin, "pulumi"), 0o755);
    // The Automation API finds `pulumi` on the process's own PATH.
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path}`;
    try {
      const ok = await verify(["--stack", "dev", "--cwd", dir, "--ca-file", entra.caPath, "--json"]);
      expect(JSON.parse(ok.stdout)).toMatchObject({ verdict: "verified", inputs: { source: "stack" } });
      const missing = await verify(["--stack", "prod", "--cwd", dir, "--ca-file", entra.caPath, "--json"]);
      expect(missing.code).toBe(2);
      expect(JSON.parse(missing.stdout).error.message).toMatch(
        /^cannot read the outputs of the stack given by --stack in .+: .*no stack/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
