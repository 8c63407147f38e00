import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodes } from "../../verify/errors";
import { parseOptions } from "../../verify/options";
import { humanReport, jsonReport, markdownReport } from "../../verify/report";
import { runVerify } from "../../verify/run";
import type { TestCertificate } from "../support/certificates";
import { keyRunIn } from "../support/cli";
import { skippingClock } from "../support/clock";
import { type RegisteredClient, registerClient } from "../support/entra";
import { type HostileProxy, type ProxyAnswer, type SeenRequest, startHostileProxy } from "../support/hostileProxy";
import { startVault, type TestVault, type VaultCertificate, type VaultIdentity } from "../support/keyvault";
import { vaultStackOutputsFor } from "../support/outputs";
import { runScript } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";

const dir = fileTempDir("eca-verify-vault-leaks-");

/** Key Vault's error shape, its message echoing the caller's token and request as a careless service might. */
const echo = (req: SeenRequest, code: string) => ({
  error: { code, message: `refused Bearer ${req.bearer} for ${req.method} ${req.path} with ${req.body}` },
});
const reading = (req: SeenRequest) => req.method === "GET" && req.path.includes("/keys/");
const signing = (req: SeenRequest) => req.method === "POST" && /\/keys\/[^/]+\/[0-9a-f]+\/sign/.test(req.path);

interface Case {
  what: string;
  /** The vault's answer to an authenticated request (requests without a token go on, for the challenge). */
  answer: (req: SeenRequest, answered: number) => ProxyAnswer | undefined;
  exitCode: number;
  timeout?: string;
  /** More of the job's environment. */
  env?: NodeJS.ProcessEnv;
}

const cases: Case[] = [
  {
    what: "401 to reading the key",
    answer: (r) => (reading(r) ? { status: 401, body: echo(r, "Unauthorized") } : undefined),
    exitCode: exitCodes.authentication,
  },
  {
    what: "403 to reading the key",
    answer: (r) => (reading(r) ? { status: 403, body: echo(r, "Forbidden") } : undefined),
    exitCode: exitCodes.authentication,
  },
  {
    what: "404 to reading the key",
    answer: (r) => (reading(r) ? { status: 404, body: echo(r, "KeyNotFound") } : undefined),
    exitCode: exitCodes.preflight,
  },
  {
    what: "429 to every read until the deadline",
    answer: (r) =>
      reading(r) ? { status: 429, headers: { "retry-after": "1" }, body: echo(r, "Throttled") } : undefined,
    exitCode: exitCodes.timeout,
    timeout: "1",
  },
  {
    what: "500 to every sign until the deadline",
    answer: (r) => (signing(r) ? { status: 500, body: echo(r, "InternalServerError") } : undefined),
    exitCode: exitCodes.timeout,
    timeout: "1",
  },
  {
    what: "403 to sign",
    answer: (r) => (signing(r) ? { status: 403, body: echo(r, "Forbidden") } : undefined),
    exitCode: exitCodes.authentication,
  },
  {
    what: "400 to sign, echoing token and request",
    answer: (r) => (signing(r) ? { status: 400, body: echo(r, "BadParameter") } : undefined),
    exitCode: exitCodes.authentication,
  },
  {
    what: "a cut connection, then the signature",
    answer: (r, answered) => (signing(r) && answered === 0 ? "reset" : undefined),
    exitCode: exitCodes.verified,
  },
  {
    what: "all calls, AZURE_LOG_LEVEL=verbose",
    answer: () => undefined,
    exitCode: exitCodes.verified,
    env: { AZURE_LOG_LEVEL: "verbose" },
  },
];

describe("verify with a vault key prints no vault token, assertion or access token, whatever the vault answers", () => {
  let t: TestVault;
  let signer: VaultIdentity;
  let vaultCert: VaultCertificate;
  let client: RegisteredClient;
  let vaultProxy: HostileProxy;
  let entraProxy: HostileProxy;
  let caFile: string;
  let identityPem: string;

  beforeAll(async () => {
    t = await startVault();
    signer = await t.identity(["Key Vault Crypto User"]);
    vaultCert = await t.createCertificate("leak-cert");
    client = await registerClient(t.entra, {
      grant: ["Data.Read"],
      cert: { certificatePem: vaultCert.certificatePem } as TestCertificate,
    });
    vaultProxy = await startHostileProxy(t.vault.vaultUrl, t.vault.caPem);
    entraProxy = await startHostileProxy(t.entra.authorityHost, t.entra.caPem, { rewriteOrigin: true });
    caFile = join(dir, "ca-bundle.pem");
    writeFileSync(caFile, [t.caBundle, vaultProxy.caPem, entraProxy.caPem].join("\n"));
    identityPem = join(dir, "pipeline-identity.pem");
    writeFileSync(identityPem, `${signer.cert.certificatePem.trim()}\n${signer.cert.privateKeyPem}`, { mode: 0o600 });
  });
  afterAll(async () => {
    await vaultProxy?.stop();
    await entraProxy?.stop();
    await t?.stop();
  });

  /** Key Vault mode's outputs; the key id on `vaultOrigin` (the proxy's, by default). */
  function outputs(over: { authority?: string; vaultOrigin?: string } = {}): Record<string, unknown> {
    const keyVaultKeyId = vaultCert.keyId.replace(t.vault.vaultUrl, over.vaultOrigin ?? vaultProxy.origin);
    const outputs = vaultStackOutputsFor(t.entra, client, keyVaultKeyId);
    return { ...outputs, ...(over.authority ? { authority: over.authority } : {}) };
  }

  /** Nothing of a secret in the text: neither whole nor any 40-character run of it, nor any JWT or PEM key. */
  function expectNoneOf(text: string, secrets: string[], channel: string): void {
    expectNoSecrets(text, [signer.cert.privateKeyPem]);
    secrets.forEach((secret, i) => {
      expect(keyRunIn(text, secret) === undefined, `${channel} holds part of secret ${i + 1}`).toBe(true);
    });
  }

  it.each(cases)(
    "a vault that answers $what: stdout, stderr, --json and the step summary hold no secret",
    async (c) => {
      for (const json of [false, true]) {
        vaultProxy.seen.length = 0;
        let answered = 0;
        let authenticated = 0;
        vaultProxy.decide = (req) => {
          if (req.bearer === undefined) return undefined;
          authenticated++;
          const answer = c.answer(req, answered);
          if (answer) answered++;
          return answer;
        };
        const summary = join(dir, `summary-${json}.md`);
        writeFileSync(summary, "");
        const args = [
          "--outputs",
          "-",
          "--ca-file",
          caFile,
          "--timeout",
          c.timeout ?? "60",
          ...(json ? ["--json"] : []),
        ];
        const { code, stdout, stderr } = await runScript("verify/main.ts", args, {
          env: {
            AZURE_TENANT_ID: t.entra.tenantId,
            AZURE_CLIENT_ID: signer.clientId,
            AZURE_CLIENT_CERTIFICATE_PATH: identityPem,
            AZURE_CLIENT_SECRET: "",
            AZURE_FEDERATED_TOKEN_FILE: "",
            GITHUB_STEP_SUMMARY: summary,
            ...c.env,
          },
          input: JSON.stringify(outputs()),
        }).done;
        expect(code, `${c.what} (${json ? "--json" : "human"})`).toBe(c.exitCode);
        // The vault did answer as the case says, to requests that carried the identity's token.
        expect(c.env ? authenticated : answered).toBeGreaterThan(0);
        // With AZURE_LOG_LEVEL, the SDKs' own log lines (requests, headers, the credential's steps) are on stderr too.
        if (c.env) expect(stderr).toMatch(/^azure:core-rest-pipeline/m);
        const tokens = [...new Set(vaultProxy.seen.flatMap((r) => (r.bearer ? [r.bearer] : [])))];
        expect(tokens.length).toBeGreaterThan(0);
        for (const [channel, text] of Object.entries({ stdout, stderr, summary: readFileSync(summary, "utf8") }))
          expectNoneOf(text, tokens, channel);
        if (json) {
          const report = JSON.parse(stdout);
          expect(report.exitCode).toBe(c.exitCode);
          if (c.exitCode !== 0) expect(report.error.message).not.toMatch(/\n|refused Bearer/);
        }
      }
    },
  );

  it("sends the sign call, and the identity's token with it, to the vault the key id names, not to the host the vault's answer names", async () => {
    // The proxy forwards the key unchanged: its `kid` names the vault behind the proxy, not the proxy.
    vaultProxy.seen.length = 0;
    vaultProxy.decide = () => undefined;
    const report = await runVerify(parseOptions(["--outputs", "-", "--ca-file", caFile]), {
      env: {},
      readStdin: async () => JSON.stringify(outputs()),
      progress: () => undefined,
      clock: skippingClock(),
      vaultCredential: t.credential(signer),
    });
    expect(report.error).toBeUndefined();
    expect(vaultProxy.seen.filter((r) => signing(r) && r.bearer !== undefined)).toHaveLength(1);
  });

  it("an authority whose error echoes the client assertion Key Vault signed: no part of it in any report or progress line", async () => {
    let assertion = "";
    entraProxy.decide = (req) => {
      const form = new URLSearchParams(req.body);
      if (req.method !== "POST" || form.get("client_id") !== client.clientId) return undefined;
      assertion = form.get("client_assertion") ?? "";
      return {
        status: 401,
        body: { error: "invalid_client", error_description: `this assertion is refused: ${assertion}` },
      };
    };
    const progress: string[] = [];
    const tenantAuthority = `${entraProxy.origin}/${t.entra.tenantId}`;
    const report = await runVerify(parseOptions(["--outputs", "-", "--ca-file", caFile, "--timeout", "60"]), {
      env: {},
      readStdin: async () => JSON.stringify(outputs({ authority: tenantAuthority, vaultOrigin: t.vault.vaultUrl })),
      progress: (line) => progress.push(line),
      clock: skippingClock(),
      vaultCredential: t.credential(signer),
    });
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(assertion).toMatch(/^eyJ/);
    // The authority's message is quoted (it says what is wrong), with the assertion taken out.
    expect(report.error?.message).toMatch(/^invalid_client: .*this assertion is refused: \[redacted token\] /);
    const printed = [jsonReport(report), humanReport(report), markdownReport(report), ...progress].join("\n");
    expectNoneOf(printed, [assertion, ...report.secrets], "the printed report");
  });
});
