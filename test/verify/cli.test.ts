import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate } from "../support/certificates";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";
import { runScript } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";

describe("npm run verify", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  let dir: string;
  let outputsFile: string;
  const printed: string[] = [];

  const verify = async (args: string[], options: Parameters<typeof runScript>[2] = {}) => {
    const result = await runScript("verify/main.ts", args, {
      ...options,
      env: { GITHUB_STEP_SUMMARY: "", ...options.env },
    }).done;
    printed.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    dir = mkdtempSync(join(tmpdir(), "eca-verify-"));
    outputsFile = join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"]), null, 2));
  });
  afterAll(() => entra.stop());

  it("verifies from an outputs file, prints a table and a verdict, and writes the GitHub step summary", async () => {
    const summary = join(dir, "summary.md");
    const { code, stdout } = await verify(["--outputs", outputsFile, "--ca-file", entra.caPath], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}PASS {2}roles +Data.Read$/m);
    expect(stdout).toMatch(
      /^verified: a certificate-authenticated token for api:\/\/.+\/.default with Data.Read \(1 attempt, (\d+ ms|\d+\.\d s)\)$/m,
    );
    const markdown = readFileSync(summary, "utf8");
    expect(markdown).toContain("### Entra ID certificate check: verified ✅");
    expect(markdown).toContain("| ✅ | roles | Data.Read |");
  });

  it("reads `pulumi stack output --json --show-secrets` from stdin and answers one JSON object with --json", async () => {
    const { code, stdout } = await verify(["--outputs", "-", "--ca-file", entra.caPath, "--json"], {
      input: readFileSync(outputsFile, "utf8"),
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
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
    expect(report.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(report.attempts).toEqual([{ attempt: 1, ms: expect.any(Number), outcome: "token", reason: "token issued" }]);
    expect(report.timings).toEqual({
      preflightMs: expect.any(Number),
      acquireMs: expect.any(Number),
      checkMs: expect.any(Number),
      totalMs: expect.any(Number),
    });
  });

  it("reads the Azure Identity environment variables", async () => {
    const pem = join(dir, "client.pem");
    writeFileSync(pem, client.cert.certificatePem + client.cert.privateKeyPem);
    const { code, stdout } = await verify(
      [
        "--scope",
        client.scope,
        "--expected-roles",
        "Data.Read",
        "--api-client-id",
        client.apiClientId,
        "--ca-file",
        entra.caPath,
      ],
      {
        env: {
          AZURE_TENANT_ID: entra.tenantId,
          AZURE_CLIENT_ID: client.clientId,
          AZURE_CLIENT_CERTIFICATE_PATH: pem,
          AZURE_AUTHORITY_HOST: entra.authorityHost,
        },
      },
    );
    expect(code).toBe(0);
    expect(stdout).toContain("PASS  roles");
  });

  it("reads a stack's outputs through the Automation API and the pulumi CLI on PATH", async () => {
    const bin = join(dir, "bin");
    const outputs = stackOutputsFor(entra, client, ["Data.Read"]);
    const masked = { ...outputs, privateKeyPem: "[secret]" };
    writeFileSync(join(dir, "plain.json"), JSON.stringify(outputs));
    writeFileSync(join(dir, "masked.json"), JSON.stringify(masked));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: entra-cert-auth\nruntime: nodejs\n");
    // A stand-in that answers the three commands the Automation API runs here, as the CLI does.
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
    const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
    const ok = await verify(["--stack", "dev", "--cwd", dir, "--ca-file", entra.caPath], { env });
    expect(ok.code).toBe(0);
    const missing = await verify(["--stack", "prod", "--cwd", dir, "--ca-file", entra.caPath], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read outputs of stack prod/);
  });

  it("prints progress while it waits for a new credential to propagate", async () => {
    const cert = await makeCertificate();
    // Longer than the command takes to start, so its first attempt meets an unreplicated app.
    const delayed = await startEntra({ propagationDelaySeconds: 5 });
    try {
      const fresh = await registerClient(delayed, { grant: ["Data.Read"], cert });
      const file = join(dir, "delayed.json");
      writeFileSync(file, JSON.stringify(stackOutputsFor(delayed, fresh, ["Data.Read"])));
      const { code, stderr } = await verify(["--outputs", file, "--ca-file", delayed.caPath]);
      expect(code).toBe(0);
      expect(stderr).toMatch(
        /^verify: the application is not \(yet\) in the tenant \(AADSTS700016\), attempt 1, retrying in (\d+ ms|\d\.\d s)$/m,
      );
    } finally {
      await delayed.stop();
    }
  });

  it("reports a preflight failure as JSON with exit code 3 and no key material", async () => {
    const other = await makeCertificate();
    const file = join(dir, "mismatch.json");
    writeFileSync(file, JSON.stringify({ ...stackOutputsFor(entra, client), privateKeyPem: other.privateKeyPem }));
    const { code, stdout, stderr } = await verify(["--outputs", file, "--json"]);
    expect(code).toBe(3);
    expect(JSON.parse(stdout).error).toEqual({
      code: "ERR_PREFLIGHT",
      message: expect.stringMatching(/^key matches certificate: /),
    });
    expectNoSecrets(stdout + stderr, [other.privateKeyPem]);
  });

  it("rejects outputs that are not JSON without echoing them", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, `{ "privateKeyPem": ${JSON.stringify(client.cert.privateKeyPem)}, oops }`);
    const { code, stderr } = await verify(["--outputs", file]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n").at(-1)).toBe(
      `FAILED (ERR_BAD_INPUT, exit 2): --outputs ${file} is not valid JSON: pass the output of \`pulumi stack output --json --show-secrets\``,
    );
  });

  it("rejects an unknown flag with exit code 2, one line naming the flag, and one JSON object with --json", async () => {
    const { code, stdout, stderr } = await verify(["--outputs", "x.json", "--colour", "--json"]);
    expect(code).toBe(2);
    expect(stderr).toBe("verify: unknown option --colour; see --help\n");
    expect(JSON.parse(stdout)).toMatchObject({
      schema: "entra-cert-auth/verify@1",
      verdict: "failed",
      exitCode: 2,
      error: { code: "ERR_BAD_INPUT", message: "unknown option --colour; see --help" },
    });
  });

  it("explains itself with --help, including the exit codes", async () => {
    const { code, stdout } = await verify(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Exit codes: 0 verified, 2 bad input, 3 preflight failed, 4 authentication failed");
  });

  it("never printed a token, an assertion or a private key in any of these runs", () => {
    expect(printed.length).toBeGreaterThan(10);
    expectNoSecrets(printed.join("\n"), [client.cert.privateKeyPem]);
  });
});
