import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toPem } from "../../common/pem";
import { exitCodes } from "../../verify/errors";
import { parseOptions } from "../../verify/options";
import type { VerifyReport } from "../../verify/report";
import { humanReport, jsonReport, markdownReport } from "../../verify/report";
import { runVerify, type VerifyIO } from "../../verify/run";
import type { TestCertificate } from "../support/certificates";
import { skippingClock } from "../support/clock";
import { type RegisteredClient, registerClient } from "../support/entra";
import { startVault, type TestVault, type VaultIdentity } from "../support/keyvault";
import { vaultStackOutputsFor } from "../support/outputs";
import { runScript } from "../support/processes";
import { expectHolds, expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";

const dir = fileTempDir("eca-verify-kv-");

/** A certificate made by the local Key Vault (self-issued, key not exportable): its PEM and versioned key id. */
interface VaultCertificate {
  certificatePem: string;
  keyId: string;
}

describe("verify signs through the local Key Vault: real SDK, real msal-node, the local Entra ID", () => {
  let t: TestVault;
  let signer: VaultIdentity;
  let client: RegisteredClient;
  let current: VaultCertificate;
  let other: VaultCertificate;
  let caFile: string;
  const progress: string[] = [];

  async function vaultCertificate(officer: VaultIdentity, name: string): Promise<VaultCertificate> {
    const poller = await t.certificateClient(officer).beginCreateCertificate(name, {
      issuerName: "Self",
      subject: `CN=${name}`,
      keyType: "RSA",
      keySize: 2048,
      exportable: false,
      reuseKey: false,
      validityInMonths: 3,
    });
    const created = await poller.pollUntilDone();
    return { certificatePem: toPem("CERTIFICATE", created.cer ?? new Uint8Array()), keyId: created.keyId ?? "" };
  }

  beforeAll(async () => {
    t = await startVault();
    const officer = await t.identity(["Key Vault Certificates Officer"]);
    signer = await t.identity(["Key Vault Crypto User"]);
    current = await vaultCertificate(officer, "client-cert");
    other = await vaultCertificate(officer, "other-cert");
    // The application's credential is the vault certificate; nobody outside the vault holds its key.
    const cert = { certificatePem: current.certificatePem } as TestCertificate;
    client = await registerClient(t.entra, { grant: ["Data.Read"], cert });
    caFile = join(dir, "ca-bundle.pem");
    writeFileSync(caFile, t.caBundle);
  });
  afterAll(() => t?.stop());

  /** Key Vault mode's outputs: no privateKeyPem, PFX or password; keyVaultKeyId names the certificate's key. */
  function vaultOutputs(keyId = current.keyId): Record<string, unknown> {
    return vaultStackOutputsFor(t.entra, client, keyId);
  }

  /** The pipeline identity as DefaultAzureCredential's environment finds it: AZURE_* and a PEM file (mode 0600). */
  function pipelineIdentityEnv(file: string): NodeJS.ProcessEnv {
    const identityPem = join(dir, file);
    writeFileSync(identityPem, `${signer.cert.certificatePem.trim()}\n${signer.cert.privateKeyPem}`, { mode: 0o600 });
    return {
      AZURE_TENANT_ID: t.entra.tenantId,
      AZURE_CLIENT_ID: signer.clientId,
      AZURE_CLIENT_CERTIFICATE_PATH: identityPem,
      AZURE_CLIENT_SECRET: "",
      AZURE_FEDERATED_TOKEN_FILE: "",
      GITHUB_STEP_SUMMARY: "",
    };
  }

  async function verify(
    outputs: Record<string, unknown>,
    identity: VaultIdentity,
    flags: string[] = [],
  ): Promise<VerifyReport> {
    const io: VerifyIO = {
      env: {},
      readStdin: async () => JSON.stringify(outputs),
      progress: (l) => progress.push(l),
      backoff: { baseMs: 50, capMs: 400 },
      clock: skippingClock(),
      vaultCredential: t.credential(identity),
    };
    return runVerify(parseOptions(["--outputs", "-", "--ca-file", caFile, ...flags]), io);
  }

  /** Every secret the run handled (vault token, assertion, access token) is absent from everything printed. */
  function expectNothingSecretPrinted(report: VerifyReport): void {
    const printed = [jsonReport(report), humanReport(report), markdownReport(report), ...progress].join("\n");
    expectNoSecrets(printed);
    report.secrets.forEach((secret, i) => {
      expectHolds(printed, secret, `the printed report holds secret ${i + 1}`, false);
    });
  }

  it.each<["sha256" | "sha1", "PS256" | "RS256"]>([
    ["sha256", "PS256"],
    ["sha1", "RS256"],
  ])("gets a certificate token whose assertion Key Vault signed (--thumbprint %s: %s)", async (thumbprint, alg) => {
    const report = await verify(vaultOutputs(), signer, ["--thumbprint", thumbprint]);
    expect(report.error).toBeUndefined();
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.inputs).toMatchObject({
      privateKey: "in Key Vault",
      keyVaultKeyId: current.keyId,
      assertion: `${alg === "PS256" ? "PS256 with x5t#S256" : "RS256 with x5t"}, signed by Key Vault`,
    });
    expect(report.preflight.map((c) => [c.name, c.ok])).toEqual([
      ["certificate key type", true],
      ["certificate validity", true],
      ["thumbprint (SHA-1)", true],
      ["thumbprint (SHA-256)", true],
      ["vault key type", true],
      ["vault key matches certificate", true],
    ]);
    expect(report.checks.every((c) => c.ok)).toBe(true);
    expect(report.checks.find((c) => c.name === "credential (azpacr)")?.detail).toBe("2: certificate");
    // The assertion verify handed msal-node: the vault's signature, for the token endpoint, naming the certificate.
    const assertion = report.secrets.find((s) => decodeJwt(s).sub === client.clientId);
    expect(assertion).toBeDefined();
    expect(decodeProtectedHeader(assertion ?? "").alg).toBe(alg);
    expect(decodeJwt(assertion ?? "").aud).toBe(`${t.entra.authorityHost}/${t.entra.tenantId}/oauth2/v2.0/token`);
    expect(report.secrets.length).toBeGreaterThanOrEqual(3);
    expectNothingSecretPrinted(report);
  });

  it("fails preflight (exit 3) before any token request when the vault key is not the certificate's", async () => {
    const report = await verify(vaultOutputs(other.keyId), signer);
    expect(report.exitCode).toBe(exitCodes.preflight);
    expect(report.error).toEqual({
      code: "ERR_PREFLIGHT",
      message:
        "vault key matches certificate: the key keyVaultKeyId names is not the key of certificatePem: take both from one deployment (the key id of the certificate's version)",
    });
    expect(report.attempts).toEqual([]);
    expect(report.timings.acquireMs).toBeUndefined();
    expectNothingSecretPrinted(report);
  });

  it.each<[string, number, (o: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    ["the certificate has expired", 120, (o) => o, /^certificate validity: expired on /],
    [
      "the declared thumbprint is another certificate's",
      0,
      (o) => ({ ...o, thumbprint: new X509Certificate(other.certificatePem).fingerprint.replaceAll(":", "") }),
      /^thumbprint \(SHA-1\): declared [0-9A-F]{40} but the certificate's is [0-9A-F]{40}/,
    ],
  ])(
    "fails preflight (exit 3) before asking the vault or the authority anything when %s",
    async (_what, days, change, message) => {
      const asked: string[] = [];
      const real = t.credential(signer);
      const counting = {
        getToken: (scopes: string | string[], options?: Parameters<typeof real.getToken>[1]) => {
          asked.push(String(scopes));
          return real.getToken(scopes, options);
        },
      };
      // The vault's certificates are valid for 3 months: 120 days on, this one has ended.
      const clock = skippingClock();
      await clock.sleep(days * 86_400_000);
      const report = await runVerify(parseOptions(["--outputs", "-", "--ca-file", caFile]), {
        env: {},
        readStdin: async () => JSON.stringify(change(vaultOutputs())),
        progress: (l) => progress.push(l),
        clock,
        vaultCredential: counting,
      });
      expect(report.exitCode).toBe(exitCodes.preflight);
      expect(report.error?.message).toMatch(message);
      expect(asked).toEqual([]);
      expect(report.attempts).toEqual([]);
    },
  );

  it("fails preflight (exit 3) when the vault has no such key", async () => {
    const missing = current.keyId.replace("/client-cert/", "/no-such-cert/");
    const report = await verify(vaultOutputs(missing), signer);
    expect(report.exitCode).toBe(exitCodes.preflight);
    expect(report.error?.message).toMatch(
      /^Key Vault has no key https:\/\/localhost:\d+\/keys\/no-such-cert\/[0-9a-f]{32} \(404 KeyNotFound\)/,
    );
    expect(report.attempts).toEqual([]);
  });

  it("fails at once (exit 4), one line naming the permission, for an identity with no role on the vault", async () => {
    const nobody = await t.identity([]);
    const started = Date.now();
    const report = await verify(vaultOutputs(), nobody, ["--timeout", "120"]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.error?.message).toBe(
      `the identity may not read ${current.keyId} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/read and Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
    );
    expect(report.attempts).toEqual([]);
    expectNothingSecretPrinted(report);
  });

  it("fails at the first token attempt (exit 4) for an identity that may read the key but not sign with it", async () => {
    const reader = await t.identity(["Key Vault Reader"]);
    const report = await verify(vaultOutputs(), reader, ["--timeout", "120"]);
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.error?.message).toBe(
      `the identity may not sign with ${current.keyId} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
    );
    expect(report.attempts.map((a) => a.outcome)).toEqual(["failed"]);
    expect(report.preflight.find((c) => c.name === "vault key matches certificate")?.ok).toBe(true);
  });

  it("fails at once (exit 4) when the vault refuses the identity's token and a fresh one does not help (401)", async () => {
    // A token for another resource: the vault answers 401 with its challenge, the SDK asks the credential again
    // and gets the same kind of token, and the second 401 is the SDK's answer.
    const real = t.credential(signer);
    const asked: string[] = [];
    const wrongResource = {
      getToken: async (scopes: string | string[], options?: Parameters<typeof real.getToken>[1]) => {
        asked.push(String(scopes));
        return real.getToken(client.scope, options);
      },
    };
    const report = await runVerify(parseOptions(["--outputs", "-", "--ca-file", caFile, "--timeout", "120"]), {
      env: {},
      readStdin: async () => JSON.stringify(vaultOutputs()),
      progress: (l) => progress.push(l),
      clock: skippingClock(),
      vaultCredential: wrongResource,
    });
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.error?.message).toMatch(
      /^Key Vault refused the signing identity's token for https:\/\/localhost:\d+\/keys\/client-cert\/[0-9a-f]{32} \(401 Unauthorized\): /,
    );
    expect(asked.every((s) => s === "https://vault.azure.net/.default")).toBe(true);
    expect(asked.length).toBeLessThanOrEqual(2);
    expectNothingSecretPrinted(report);
  });

  it("stops at once (exit 4) when the vault's TLS certificate is not trusted, saying how to pass the CA", async () => {
    const entraOnly = join(dir, "entra-ca.pem");
    writeFileSync(entraOnly, t.entra.caPem);
    const report = await verify(vaultOutputs(), signer, ["--ca-file", entraOnly]);
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.error?.message).toMatch(
      /^Key Vault's TLS certificate is not trusted \([A-Z_]+\): pass the CA that issued it with --ca-file <pem>/,
    );
  });

  it("waits out a vault that refuses connections, as it waits for the authority, and gives up at the deadline (exit 6)", async () => {
    // A port nothing listens on: the vault's host as the key id names it, but closed.
    const closed = current.keyId.replace(/:\d+\//, ":1/");
    const before = progress.length;
    const report = await verify(vaultOutputs(closed), signer, ["--timeout", "5"]);
    expect(report.exitCode).toBe(exitCodes.timeout);
    // The last attempt is refused too, unless the deadline falls while it is still on its way (a loaded machine).
    expect(report.error?.message).toMatch(
      /^gave up reaching Key Vault at the deadline; last: (network error reaching Key Vault \(ECONNREFUSED\)|no answer from Key Vault in time); raise --timeout or look at the cause$/,
    );
    const waits = progress.slice(before);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits[0]).toMatch(
      /^network error reaching Key Vault \(ECONNREFUSED\), reading the vault key, attempt 1, retrying in /,
    );
    expect(report.attempts).toEqual([]);
  });

  it("takes the certificate from --certificate (a PEM with the certificate only) and the key id from the flag", async () => {
    const pem = join(dir, "client-cert.pem");
    writeFileSync(pem, current.certificatePem);
    const { certificatePem: _c, keyVaultKeyId: _k, ...outputs } = vaultOutputs();
    const report = await verify(outputs, signer, ["--certificate", pem, "--key-vault-key-id", current.keyId]);
    expect(report.error).toBeUndefined();
    expect(report.inputs).toMatchObject({ certificate: "from --certificate", keyVaultKeyId: current.keyId });
  });

  it("works as the shipped CLI with DefaultAzureCredential (the pipeline identity from AZURE_* variables), printing no secret", async () => {
    const env = pipelineIdentityEnv("pipeline-identity.pem");
    for (const json of [false, true]) {
      const args = ["--outputs", "-", "--ca-file", caFile, ...(json ? ["--json"] : [])];
      const { code, stdout, stderr } = await runScript("verify/main.ts", args, {
        env,
        input: JSON.stringify(vaultOutputs()),
      }).done;
      expect(code).toBe(0);
      if (json)
        expect(JSON.parse(stdout)).toMatchObject({ verdict: "verified", inputs: { privateKey: "in Key Vault" } });
      else expect(stdout).toMatch(/^verified: a certificate-authenticated token for api:\/\/.+ with Data.Read/m);
      expectNoSecrets(stdout + stderr, [signer.cert.privateKeyPem]);
    }
  });

  it("takes the one credential AZURE_TOKEN_CREDENTIALS names, and refuses a name DefaultAzureCredential does not know (exit 2)", async () => {
    const env = pipelineIdentityEnv("pipeline-identity-2.pem");
    const run = (choice: string, path = process.env.PATH) =>
      runScript("verify/main.ts", ["--outputs", "-", "--ca-file", caFile, "--json"], {
        env: { ...env, AZURE_TOKEN_CREDENTIALS: choice, PATH: path },
        input: JSON.stringify(vaultOutputs()),
      }).done;
    const chosen = await run("environmentcredential");
    expect(chosen.code).toBe(0);
    // Only the Azure CLI: the AZURE_* certificate is not looked at, and there is no az on this PATH.
    const cliOnly = await run("AzureCliCredential", dir);
    expect(cliOnly.code).toBe(exitCodes.authentication);
    expect(JSON.parse(cliOnly.stdout).error.message).toMatch(
      /^cannot get a Key Vault token for the signing identity \(\w+Error\): .*AZURE_TOKEN_CREDENTIALS=AzureCliCredential/,
    );
    const typo = await run("AzureCli");
    expect(typo.code).toBe(exitCodes.badInput);
    expect(JSON.parse(typo.stdout).error).toEqual({
      code: "ERR_BAD_INPUT",
      message: expect.stringMatching(
        /^AZURE_TOKEN_CREDENTIALS must be dev, prod or one credential of DefaultAzureCredential /,
      ),
    });
    expect(typo.stderr).toBe("");
  });
});
