import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { verifyCommand } from "../../verify/command";
import { exitCodes } from "../../verify/errors";
import { makeCertificate, type TestCertificate } from "../support/certificates";
import { inProcess, keyRunIn, stopAndRemove } from "../support/cli";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";
import { runScript } from "../support/processes";
import { expectHolds } from "../support/secrets";

const password = "pfx-Pa55word-for-tests";

/** Does this openssl know `pkcs12 -legacy` (OpenSSL 3)? */
const opensslHasLegacy = (() => {
  const help = spawnSync("openssl", ["pkcs12", "-help"], { encoding: "utf8" });
  return /-legacy/.test(`${help.stdout}${help.stderr}`);
})();

describe("verify reads the client certificate from a PFX or a PEM file", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  let dir: string;
  const files: Record<string, string> = {};

  /** A PFX made by `openssl pkcs12 -export`, as a person or a pipeline would make it. */
  function pfx(name: string, cert: TestCertificate, args: string[] = []): string {
    const pem = join(dir, `${name}.pem`);
    writeFileSync(pem, `${cert.certificatePem}\n${cert.privateKeyPem}`, { mode: 0o600 });
    const out = join(dir, `${name}.pfx`);
    execFileSync("openssl", ["pkcs12", "-export", "-in", pem, "-out", out, "-passout", "env:PFX_PASSWORD", ...args], {
      env: { ...process.env, PFX_PASSWORD: password },
      stdio: "pipe",
    });
    return out;
  }

  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    dir = mkdtempSync(join(tmpdir(), "eca-verify-pfx-"));
    files.modern = pfx("modern", client.cert);
    files.tripleDes = pfx("3des", client.cert, [
      "-keypbe",
      "PBE-SHA1-3DES",
      "-certpbe",
      "PBE-SHA1-3DES",
      "-macalg",
      "sha1",
    ]);
    if (opensslHasLegacy) files.legacy = pfx("legacy", client.cert, ["-legacy"]);
    files.pem = join(dir, "client.pem");
    writeFileSync(files.pem, `${client.cert.certificatePem}\n${client.cert.privateKeyPem}`, { mode: 0o600 });
  });
  afterAll(async () => {
    await stopAndRemove(entra);
    rmSync(dir, { recursive: true, force: true });
  });

  const azureEnv = (path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    AZURE_TENANT_ID: entra.tenantId,
    AZURE_CLIENT_ID: client.clientId,
    AZURE_CLIENT_CERTIFICATE_PATH: path,
    AZURE_CLIENT_CERTIFICATE_PASSWORD: password,
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    ...extra,
  });
  const envArgs = () => ["--scope", client.scope, "--api-client-id", client.apiClientId, "--ca-file", entra.caPath];
  const verify = (args: string[], env: NodeJS.ProcessEnv, stdin?: string) =>
    inProcess((io) => runCommand(verifyCommand, [...args, "--json"], io), { env, stdin });

  it.each([
    ["a modern PFX (AES-256-CBC, PBKDF2: OpenSSL 3's default)", "modern"],
    ["a 3DES PFX (PBE-SHA1-3DES, SHA-1 MAC: older Windows)", "tripleDes"],
    ["a PEM holding the certificate and the key", "pem"],
  ])(
    "verifies through AZURE_CLIENT_CERTIFICATE_PATH and _PASSWORD, as EnvironmentCredential reads them: %s",
    async (_what, file) => {
      const printed = await verify(envArgs(), azureEnv(files[file] ?? ""));
      const report = JSON.parse(printed.stdout);
      expect(report.error).toBeUndefined();
      expect(printed.code).toBe(exitCodes.verified);
      expect(report.inputs.source).toBe("environment");
      expect(report.preflight.map((c: { name: string }) => c.name)).toEqual([
        "key type",
        "key matches certificate",
        "certificate validity",
      ]);
    },
  );

  it("verifies with --certificate and --certificate-password-env, the certificate taken from the file, not the outputs", async () => {
    const { certificatePem: _c, privateKeyPem: _k, ...outputs } = stackOutputsFor(entra, client, ["Data.Read"]);
    const printed = await verify(
      [
        "--outputs",
        "-",
        "--ca-file",
        entra.caPath,
        "--certificate",
        files.modern ?? "",
        "--certificate-password-env",
        "MY_PFX_PASSWORD",
      ],
      { MY_PFX_PASSWORD: password },
      JSON.stringify(outputs),
    );
    const report = JSON.parse(printed.stdout);
    expect(printed.code).toBe(exitCodes.verified);
    expect(report.inputs.certificate).toBe("from --certificate");
    // The outputs' declared thumbprints are checked against the PFX's certificate, as for a PEM.
    expect(report.preflight.map((c: { name: string }) => c.name)).toContain("thumbprint (SHA-256)");
  });

  it.each(["modern", "tripleDes"])(
    "fails preflight (exit 3) on a wrong password for a %s PFX, naming the problem and never the password",
    async (file) => {
      const wrong = "Wr0ng-password-value";
      const printed = await verify(
        envArgs(),
        azureEnv(files[file] ?? "", { AZURE_CLIENT_CERTIFICATE_PASSWORD: wrong }),
      );
      expect(printed.code).toBe(exitCodes.preflight);
      expect(JSON.parse(printed.stdout).error).toEqual({
        code: "ERR_PREFLIGHT",
        message: expect.stringMatching(
          /^AZURE_CLIENT_CERTIFICATE_PATH .+\.pfx: its integrity check fails: wrong password or damaged file; check the variable that holds the password/,
        ),
      });
      const all = printed.stdout + printed.stderr + printed.summary;
      expectHolds(all, wrong, "the output holds the wrong password", false);
      expectHolds(all, password, "the output holds the password", false);
    },
  );

  it("runs the same preflight on a PFX as on a PEM: an expired certificate fails with exit 3", async () => {
    const old = await makeCertificate({ notBefore: new Date("2024-01-01"), notAfter: new Date("2025-01-01") });
    const expired = pfx("expired", old);
    const printed = await verify(envArgs(), azureEnv(expired));
    expect(printed.code).toBe(exitCodes.preflight);
    expect(JSON.parse(printed.stdout).error.message).toMatch(/^certificate validity: expired on 2025-01-01/);
  });

  it("fails preflight when the PFX's certificate is not the one the outputs declare", async () => {
    const other = await makeCertificate();
    const otherPfx = pfx("other", other);
    const printed = await verify(
      ["--outputs", "-", "--ca-file", entra.caPath, "--certificate", otherPfx],
      { AZURE_CLIENT_CERTIFICATE_PASSWORD: password },
      JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"])),
    );
    expect(printed.code).toBe(exitCodes.preflight);
    expect(JSON.parse(printed.stdout).error.message).toMatch(
      /^thumbprint \(SHA-1\): declared [0-9A-F]{40} but the certificate's is/,
    );
    expect(keyRunIn(printed.stdout + printed.stderr, other.privateKeyPem)).toBeUndefined();
  });

  it.runIf(opensslHasLegacy)(
    "explains how to read an RC2 PFX (openssl -legacy) when Node's legacy provider is off",
    async () => {
      const printed = await verify(envArgs(), azureEnv(files.legacy ?? ""));
      expect(printed.code).toBe(exitCodes.badInput);
      expect(JSON.parse(printed.stdout).error.message).toMatch(
        /is encrypted with RC2 \(openssl -legacy\), which Node offers only with its OpenSSL legacy provider: run with NODE_OPTIONS=--openssl-legacy-provider/,
      );
    },
  );

  it.each([
    [
      ["--certificate-password-env", "hunter2 is my password"],
      "--certificate-password-env takes the name of an environment variable (e.g. PFX_PASSWORD), not the password",
    ],
    [["--certificate-password-env", "NOT_SET_ANYWHERE"], "the variable named by --certificate-password-env is not set"],
  ])("rejects %j with exit 2 without echoing a value", async (flags, message) => {
    const printed = await verify(
      ["--certificate", files.modern ?? "", ...flags, ...envArgs()],
      azureEnv(files.modern ?? ""),
    );
    expect(printed.code).toBe(exitCodes.badInput);
    expect(JSON.parse(printed.stdout).error.message).toBe(message);
  });

  it("rejects a file that is neither PEM nor PFX as bad input", async () => {
    const junk = join(dir, "junk.bin");
    writeFileSync(junk, Buffer.from([1, 2, 3, 4, 5]));
    const printed = await verify(envArgs(), azureEnv(junk));
    expect(printed.code).toBe(exitCodes.badInput);
    expect(JSON.parse(printed.stdout).error.message).toBe(
      `AZURE_CLIENT_CERTIFICATE_PATH ${junk} is neither PEM (certificate and key) nor a PFX (PKCS#12) file`,
    );
  });

  it("reads a PEM whose key is encrypted, with the password; a wrong one fails preflight", async () => {
    const encrypted = join(dir, "encrypted.pem");
    const key = client.cert.key.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: password });
    writeFileSync(encrypted, `${client.cert.certificatePem}\n${key.toString()}`);
    expect((await verify(envArgs(), azureEnv(encrypted))).code).toBe(exitCodes.verified);
    const wrong = await verify(envArgs(), azureEnv(encrypted, { AZURE_CLIENT_CERTIFICATE_PASSWORD: "nope-nope" }));
    expect(wrong.code).toBe(exitCodes.preflight);
    const none = await verify(envArgs(), azureEnv(encrypted, { AZURE_CLIENT_CERTIFICATE_PASSWORD: "" }));
    expect(none.code).toBe(exitCodes.badInput);
  });

  it("takes the certificate that belongs to the key from a PFX that carries a chain", async () => {
    const issuer = await makeCertificate({ subject: "CN=issuer" });
    const chainFile = join(dir, "issuer.pem");
    writeFileSync(chainFile, issuer.certificatePem);
    const chained = pfx("chained", client.cert, ["-certfile", chainFile]);
    expect((await verify(envArgs(), azureEnv(chained))).code).toBe(exitCodes.verified);
  });

  it("reads a PFX with neither encryption nor MAC (keyBag, plain data)", async () => {
    const plain = pfx("plain", client.cert, ["-keypbe", "NONE", "-certpbe", "NONE", "-nomac"]);
    expect((await verify(envArgs(), azureEnv(plain, { AZURE_CLIENT_CERTIFICATE_PASSWORD: "" }))).code).toBe(
      exitCodes.verified,
    );
  });

  it("fails preflight on a wrong password for a PFX without MAC, when decryption fails", async () => {
    const noMac = pfx("nomac", client.cert, ["-nomac"]);
    const printed = await verify(envArgs(), azureEnv(noMac, { AZURE_CLIENT_CERTIFICATE_PASSWORD: "not-it-at-all" }));
    expect(printed.code).toBe(exitCodes.preflight);
    expect(JSON.parse(printed.stdout).error.message).toMatch(
      /: the password does not decrypt (this PFX|the private key)/,
    );
  });

  it("refuses a PFX without the private key, saying how to export it", async () => {
    const certOnly = pfx("certonly", client.cert, ["-nokeys"]);
    const printed = await verify(envArgs(), azureEnv(certOnly));
    expect(printed.code).toBe(exitCodes.badInput);
    expect(JSON.parse(printed.stdout).error.message).toMatch(
      /must hold a certificate and its private key \(export it with the private key\)$/,
    );
  });

  it("reads a PEM given with --certificate when no password is set anywhere", async () => {
    const { certificatePem: _c, privateKeyPem: _k, ...outputs } = stackOutputsFor(entra, client, ["Data.Read"]);
    const printed = await verify(
      ["--outputs", "-", "--ca-file", entra.caPath, "--certificate", files.pem ?? ""],
      {},
      JSON.stringify(outputs),
    );
    expect(printed.code).toBe(exitCodes.verified);
  });

  it("works end to end as a command from a PFX through the AZURE_* variables (the compiled CLI)", async () => {
    const legacy = files.legacy;
    // The -legacy (RC2) PFX when openssl makes one, read with Node's legacy provider; else the modern one.
    const { code, stdout, stderr } = await runScript("verify/main.ts", envArgs(), {
      env: {
        ...azureEnv(legacy ?? files.modern ?? ""),
        NODE_OPTIONS: legacy ? "--openssl-legacy-provider" : "",
        GITHUB_STEP_SUMMARY: "",
      },
    }).done;
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^verified: /m);
    expectHolds(stdout + stderr, password, "the output holds the password", false);
  });
});
