import { describe, expect, it } from "vitest";
import {
  emptyReport,
  failureReport,
  humanReport,
  jsonReport,
  markdownReport,
  scrubReport,
  type VerifyReport,
  verdictLine,
} from "../../verify/report";
import { sharedCertificate } from "../support/certificates";
import { keyRunIn } from "../support/cli";

describe("reports", () => {
  it("scrubReport cleans every message of a report: error, warnings, checks, attempts", async () => {
    const { privateKeyPem } = await sharedCertificate();
    const piece = privateKeyPem.split("\n")[2] ?? "";
    const r = failureReport({ code: "ERR_X", exitCode: 4, message: `bad ${piece}` });
    r.secrets.push(privateKeyPem);
    r.warnings.push(`w ${piece}`);
    r.checks.push({ name: "c", ok: false, detail: `d ${piece}` });
    r.attempts.push({ attempt: 1, ms: 1, outcome: "failed", reason: `r ${piece}` });
    const text = [jsonReport(scrubReport(r)), humanReport(r), markdownReport(r)].join("\n");
    expect(keyRunIn(text, privateKeyPem)).toBeUndefined();
    expect(text).toContain("[redacted]");
  });

  it("scrubReport cleans the preflight details and the inputs too, each where it stands", async () => {
    const { privateKeyPem } = await sharedCertificate();
    const piece = privateKeyPem.split("\n")[2] ?? "";
    const r = failureReport({ code: "ERR_X", exitCode: 3, message: "m" });
    r.secrets.push(privateKeyPem, "hunter22");
    r.preflight.push({ name: "key type", ok: false, detail: `p ${piece}` });
    r.preflight.push({ name: "key matches certificate", ok: true, detail: "q hunter22 hunter22" });
    r.inputs = {
      source: "outputs",
      tenantId: "t",
      clientId: "c",
      authority: "a",
      scope: `api://${piece}/.default`,
      expectedRoles: ["Data.Read", piece],
      assertion: "x",
      certificate: "c",
      privateKey: "[redacted]",
    };
    scrubReport(r);
    expect(r.preflight.map((c) => c.detail)).toEqual(["p [redacted]", "q [redacted] [redacted]"]);
    expect(r.inputs.scope).toBe("api://[redacted]/.default");
    expect(r.inputs.expectedRoles).toEqual(["Data.Read", "[redacted]"]);
    expect(r.error?.message).toBe("m");
  });

  it("scrubReport cleans a report that has secrets but no error, no inputs and no checks yet", () => {
    const r = emptyReport(1);
    r.secrets.push("hunter22");
    r.warnings.push("w hunter22");
    expect(scrubReport(r).warnings).toEqual(["w [redacted]"]);
    expect(r.error).toBeUndefined();
  });

  it("scrubReport leaves a report without secrets as it is, and still replaces a token by its shape", () => {
    const r = failureReport({ code: "ERR_X", exitCode: 3, message: "m" });
    r.preflight.push({ name: "n", ok: true, detail: "d" });
    r.attempts.push({ attempt: 1, ms: 1, outcome: "failed", reason: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" });
    expect(scrubReport(r)).toBe(r);
    expect(r.preflight[0]?.detail).toBe("d");
    expect(r.error?.message).toBe("m");
    expect(r.attempts[0]?.reason).toBe("[redacted token]");
  });

  it("a failure before any run has the full report shape with only the error, for --json", () => {
    const json = JSON.parse(jsonReport(failureReport({ code: "ERR_BAD_INPUT", exitCode: 2, message: "m" })));
    expect(json).toEqual({
      schema: "entra-cert-auth/verify@1",
      verdict: "failed",
      exitCode: 2,
      error: { code: "ERR_BAD_INPUT", message: "m" },
      warnings: [],
      preflight: [],
      attempts: [],
      checks: [],
      timings: { totalMs: 0 },
    });
    expect(markdownReport(failureReport({ code: "ERR_BAD_INPUT", exitCode: 2, message: "m" }))).toContain(
      "FAILED (ERR_BAD_INPUT, exit 2): m",
    );
  });
});

describe("the report as printed", () => {
  const verified = (): VerifyReport => {
    const r = emptyReport(0);
    r.verdict = "verified";
    r.inputs = {
      source: "outputs",
      tenantId: "t",
      clientId: "client-1",
      authority: "https://login.example.test/t",
      scope: "api://orders/.default",
      expectedRoles: ["Orders.Read", "Orders.Write"],
      assertion: "RS256 with x5t",
      certificate: "c",
      privateKey: "[redacted]",
    };
    r.warnings.push("the certificate expires in 9 days");
    r.preflight.push({ name: "key type", ok: true, detail: "RSA 2048 bits" });
    r.checks.push({ name: "roles", ok: false, detail: "a | b" });
    r.attempts.push({ attempt: 1, ms: 5, outcome: "token", reason: "" });
    r.timings.totalMs = 1500;
    return r;
  };

  it("prints a table for people: the client, warnings, every check padded to the longest name, the verdict", () => {
    expect(humanReport(verified())).toBe(
      [
        "verify: client client-1 at https://login.example.test/t, scope api://orders/.default",
        "  WARN  the certificate expires in 9 days",
        "  PASS  key type  RSA 2048 bits",
        "  FAIL  roles     a | b",
        "verified: a certificate-authenticated token for api://orders/.default with Orders.Read, Orders.Write (1 attempt, 1.5 s)",
        "",
      ].join("\n"),
    );
  });

  it("says in the header and the verdict that Key Vault signed the assertion, with which key and algorithm", () => {
    const r = verified();
    if (r.inputs)
      Object.assign(r.inputs, {
        assertion: "PS256 with x5t#S256, signed by Key Vault",
        privateKey: "in Key Vault",
        keyVaultKeyId: "https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef",
      });
    const lines = humanReport(r).split("\n");
    expect(lines[0]).toBe(
      "verify: client client-1 at https://login.example.test/t, scope api://orders/.default, the assertion (PS256 with x5t#S256) signed by Key Vault key https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef",
    );
    expect(verdictLine(r)).toBe(
      "verified: a certificate-authenticated token for api://orders/.default with Orders.Read, Orders.Write, its assertion signed by Key Vault (1 attempt, 1.5 s)",
    );
  });

  it("counts attempts, leaves roles out when none are expected, and prints a failure's code, exit code and message", () => {
    const r = verified();
    r.attempts.push({ attempt: 2, ms: 5, outcome: "token", reason: "" });
    if (r.inputs) r.inputs.expectedRoles = [];
    expect(verdictLine(r)).toBe(
      "verified: a certificate-authenticated token for api://orders/.default (2 attempts, 1.5 s)",
    );
    const failed = failureReport({ code: "ERR_PREFLIGHT", exitCode: 3, message: "key type: no" });
    expect(verdictLine(failed)).toBe("FAILED (ERR_PREFLIGHT, exit 3): key type: no");
    expect(humanReport(failed)).toBe("FAILED (ERR_PREFLIGHT, exit 3): key type: no\n");
  });

  it("writes Markdown for a job summary, with | in a detail escaped", () => {
    expect(markdownReport(verified())).toBe(
      [
        "### Entra ID certificate check: verified ✅",
        "",
        "Client `client-1` at `https://login.example.test/t`, scope `api://orders/.default`.",
        "",
        "| | check | detail |",
        "|---|---|---|",
        "| ✅ | key type | RSA 2048 bits |",
        "| ❌ | roles | a \\| b |",
        "",
        "> ⚠️ the certificate expires in 9 days",
        "",
        "verified: a certificate-authenticated token for api://orders/.default with Orders.Read, Orders.Write (1 attempt, 1.5 s)",
        "",
      ].join("\n"),
    );
    expect(markdownReport(failureReport({ code: "E", exitCode: 2, message: "m" }))).toMatch(
      /^### Entra ID certificate check: failed ❌\n\n\n\n/,
    );
  });

  it("keeps the secrets out of JSON: not enumerable, on the empty report as on any other", () => {
    const r = emptyReport(4);
    r.secrets.push("hunter22");
    expect(Object.keys(r)).not.toContain("secrets");
    expect(jsonReport(r)).not.toContain("hunter22");
    expect(Object.keys(JSON.parse(jsonReport(r)))).toEqual([
      "schema",
      "verdict",
      "exitCode",
      "warnings",
      "preflight",
      "attempts",
      "checks",
      "timings",
    ]);
  });
});
