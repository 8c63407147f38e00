import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { attemptTimeoutMs } from "../../verify/acquire";
import { verifyCommand } from "../../verify/command";
import { exitCodes } from "../../verify/errors";
import { parseOptions } from "../../verify/options";
import { isRoleValue } from "../../verify/roles";
import { stackFailure } from "../../verify/stack";
import { sharedCertificate, type TestCertificate } from "../support/certificates";
import { inProcess, keyRunIn } from "../support/cli";
import { expectHolds } from "../support/secrets";

/**
 * A value given where a path, a variable's name, a stack name or a role is
 * expected may be a pasted secret: verify names the field and what is
 * wrong, on one line, and never prints the value. Every case here fails
 * before any network call, so no authority is needed.
 */
describe("verify never prints a value pasted where a path or a name belongs", () => {
  let cert: TestCertificate;
  let dir: string;
  let outputsFile: string;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    cert = await sharedCertificate();
    dir = mkdtempSync(join(tmpdir(), "eca-verify-quoting-"));
    outputs = {
      tenantId: randomUUID(),
      clientId: randomUUID(),
      // Nothing listens there: a test that reached the network would fail, not pass.
      authority: "https://127.0.0.1:1/00000000-0000-0000-0000-000000000000",
      scope: "api://quoting/.default",
      certificatePem: cert.certificatePem,
      privateKeyPem: cert.privateKeyPem,
    };
    outputs.authority = `https://127.0.0.1:1/${outputs.tenantId}`;
    outputsFile = join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(outputs), { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const both = () => `${cert.certificatePem}\n${cert.privateKeyPem}`;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    AZURE_TENANT_ID: randomUUID(),
    AZURE_CLIENT_ID: randomUUID(),
    ...extra,
  });

  /** Runs verify in-process with --json; returns the error message after checking nothing leaked anywhere. */
  async function failure(args: string[], options: { env?: NodeJS.ProcessEnv; secret?: string } = {}) {
    const printed = await inProcess((io) => runCommand(verifyCommand, [...args, "--json"], io), { env: options.env });
    const everything = `${printed.stdout}${printed.stderr}${printed.summary}`;
    expect(keyRunIn(everything, cert.privateKeyPem)).toBeUndefined();
    if (options.secret) expectHolds(everything, options.secret, "the output holds the secret", false);
    // One message line on stderr.
    expect(printed.stderr.trim().split("\n")).toHaveLength(1);
    const report = JSON.parse(printed.stdout);
    return { code: printed.code, message: String(report.error?.message), report };
  }

  it("says AZURE_CLIENT_CERTIFICATE_PATH must be a path when it holds the PEM itself", async () => {
    const { code, message } = await failure(["--scope", "api://x/.default"], {
      env: env({ AZURE_CLIENT_CERTIFICATE_PATH: both() }),
    });
    expect(code).toBe(exitCodes.badInput);
    expect(message).toMatch(
      /^AZURE_CLIENT_CERTIFICATE_PATH cannot be read \((ENAMETOOLONG|ENOENT)\): it must be a file path, not the file's content$/,
    );
  });

  it("says --outputs must be a path when it holds the outputs JSON", async () => {
    const { code, message } = await failure(["--outputs", JSON.stringify(outputs)]);
    expect(code).toBe(exitCodes.badInput);
    expect(message).toMatch(/^--outputs cannot be read \(\w+\): it must be a file path, not the file's content$/);
  });

  it("says --certificate must be a path when it holds the PEM itself", async () => {
    const { code, message } = await failure([`--certificate=${both()}`, "--outputs", outputsFile]);
    expect(code).toBe(exitCodes.badInput);
    expect(message).toMatch(/^--certificate cannot be read \(\w+\): it must be a file path, not the file's content$/);
  });

  it("says --ca-file must be a path when it holds a key", async () => {
    const { code, message } = await failure(["--outputs", outputsFile, `--ca-file=${cert.privateKeyPem}`]);
    expect(code).toBe(exitCodes.badInput);
    expect(message).toMatch(/^--ca-file cannot be read \(\w+\): it must be a file path, not the file's content$/);
  });

  it("still names a plain path that cannot be read", async () => {
    const missing = join(dir, "missing.json");
    const { message } = await failure(["--outputs", missing]);
    expect(message).toBe(`--outputs ${missing} cannot be read (ENOENT)`);
    const empty = join(dir, "empty.json");
    writeFileSync(empty, " \n");
    expect((await failure(["--outputs", empty])).message).toBe(
      `--outputs ${empty} is empty: pipe in \`pulumi stack output --json --show-secrets\``,
    );
  });

  it("does not echo what --certificate-password-env names when that variable is not set", async () => {
    const { code, message } = await failure(
      ["--outputs", outputsFile, "--certificate", outputsFile, "--certificate-password-env", "S3cretPassw0rd"],
      { secret: "S3cretPassw0rd" },
    );
    expect(code).toBe(exitCodes.badInput);
    expect(message).toBe("the variable named by --certificate-password-env is not set");
  });

  it("does not echo a stack name, nor leave it in the Pulumi CLI's own error line", () => {
    const err = new Error("command failed\nerror: no stack named 'S3cretPassw0rd' found in /home/me/proj\n");
    const message = stackFailure("S3cretPassw0rd", "/home/me/proj", err).message;
    expect(message).not.toContain("S3cretPassw0rd");
    expect(message).toBe(
      "cannot read the outputs of the stack given by --stack in /home/me/proj: error: no stack named '…' found in …; is the Pulumi CLI installed and logged in?",
    );
    const pasted = stackFailure("S3cretPassw0rd", both(), new Error("boom")).message;
    expect(pasted).toBe(
      "cannot read the outputs of the stack given by --stack in the --cwd folder: the pulumi CLI failed; is the Pulumi CLI installed and logged in?",
    );
  });

  it("keeps only the cause of an Automation API CommandError, without its err?: label", () => {
    const err = new Error(
      "code: -2\n stdout: \n stderr: \n err?: Error: Command failed with ENOENT: pulumi version\nspawn pulumi ENOENT\n",
    );
    expect(stackFailure("dev", "", err).message).toBe(
      "cannot read the outputs of the stack given by --stack: Error: Command failed with ENOENT: pulumi version; is the Pulumi CLI installed and logged in?",
    );
  });

  it("checks --expected-roles against the shape of an app role value, without echoing it", async () => {
    const { code, message } = await failure(["--outputs", outputsFile, `--expected-roles=${cert.privateKeyPem}`]);
    expect(code).toBe(exitCodes.badInput);
    expect(message).toBe(
      "--expected-roles must be a comma-separated list of app role values (at most 120 characters each, no spaces)",
    );
    expect(parseOptions(["--expected-roles", "Data.Read, Data.Write"]).expectedRoles).toEqual([
      "Data.Read",
      "Data.Write",
    ]);
  });

  it("takes as a role value only what Microsoft Graph allows: 120 characters, no spaces or quotes, no leading dot", () => {
    expect(isRoleValue("Data.Read")).toBe(true);
    expect(isRoleValue("a".repeat(120))).toBe(true);
    expect(isRoleValue("a".repeat(121))).toBe(false);
    expect(isRoleValue(".Data")).toBe(false);
    expect(isRoleValue('Data"Read')).toBe(false);
    expect(isRoleValue("Data\\Read")).toBe(false);
    expect(isRoleValue("Data Read")).toBe(false);
  });

  it("refuses a --ca-file with no certificate, or with a private key, before any network call", async () => {
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate at all\n");
    const keyFile = join(dir, "key.pem");
    writeFileSync(keyFile, cert.privateKeyPem, { mode: 0o600 });
    const withKey = join(dir, "with-key.pem");
    writeFileSync(withKey, both(), { mode: 0o600 });
    const brokenCert = join(dir, "broken-cert.pem");
    writeFileSync(brokenCert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const expected = [
      [garbage, /^--ca-file holds no certificate: /],
      [brokenCert, /^--ca-file holds no certificate: /],
      [keyFile, /^--ca-file holds a private key/],
      [withKey, /^--ca-file holds a private key/],
    ] as const;
    for (const [file, pattern] of expected) {
      const { code, message, report } = await failure(["--outputs", outputsFile, "--ca-file", file, "--timeout", "2"]);
      expect(code).toBe(exitCodes.badInput);
      expect(message).toMatch(pattern);
      expect(report.attempts).toEqual([]);
    }
  });

  it("says the outputs file given to --certificate is stack outputs, not blaming certificatePem", async () => {
    const { code, message } = await failure(["--outputs", outputsFile, "--certificate", outputsFile]);
    expect(code).toBe(exitCodes.badInput);
    expect(message).toBe(
      `--certificate ${outputsFile} is JSON (stack outputs?), not a certificate file: give outputs with --outputs, and --certificate a PEM (certificate and key) or PFX file`,
    );
  });
});

describe("--timeout", () => {
  it("refuses more than a day at parse time (setTimeout cannot wait that long), with exit 2", async () => {
    for (const value of ["3000000", "1e308", "86401"]) {
      const printed = await inProcess((io) => runCommand(verifyCommand, ["--timeout", value], io));
      expect(printed.code).toBe(exitCodes.badInput);
      expect(printed.stderr).toBe("verify: --timeout must be at most 86400 seconds (a day)\n");
    }
    expect(parseOptions(["--timeout", "86400"]).timeoutSeconds).toBe(86_400);
  });

  it("says a negative --timeout must be a positive number, not that it needs a value", async () => {
    const printed = await inProcess((io) => runCommand(verifyCommand, ["--timeout", "-5"], io));
    expect(printed.code).toBe(exitCodes.badInput);
    expect(printed.stderr).toBe("verify: --timeout must be a positive number of seconds\n");
  });

  it("limits each attempt to 30 s, whatever is left of the deadline", () => {
    expect(attemptTimeoutMs(3_000_000_000)).toBe(30_000);
    expect(attemptTimeoutMs(1e308)).toBe(30_000);
    expect(attemptTimeoutMs(1200)).toBe(1200);
    expect(attemptTimeoutMs(0)).toBe(1);
  });
});
