import { describe, expect, it } from "vitest";
import { failureReport, humanReport, jsonReport, markdownReport, scrub, scrubReport } from "../../verify/report";
import { sharedCertificate } from "../support/certificates";
import { keyRunIn } from "../support/cli";

describe("reports", () => {
  it("scrub removes every line of a PEM secret, so a fragment a library slipped into a message is caught too", async () => {
    const { privateKeyPem } = await sharedCertificate();
    const line = privateKeyPem.split("\n")[3] ?? "";
    expect(scrub(`progress: odd answer ${line} from the server`, [privateKeyPem])).toBe(
      "progress: odd answer [redacted] from the server",
    );
    expect(scrub("password hunter22 here", ["hunter22"])).toBe("password [redacted] here");
    // Too short to scrub without mangling ordinary text.
    expect(scrub("a b c", ["b"])).toBe("a b c");
  });

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
    };
    scrubReport(r);
    expect(r.preflight.map((c) => c.detail)).toEqual(["p [redacted]", "q [redacted] [redacted]"]);
    expect(r.inputs.scope).toBe("api://[redacted]/.default");
    expect(r.inputs.expectedRoles).toEqual(["Data.Read", "[redacted]"]);
    expect(r.error?.message).toBe("m");
  });

  it("scrub leaves a report without secrets as it is, and never treats a PEM's armour or short lines as secrets", () => {
    const r = failureReport({ code: "ERR_X", exitCode: 3, message: "m" });
    r.preflight.push({ name: "n", ok: true, detail: "d" });
    expect(scrubReport(r)).toBe(r);
    const pem = "-----BEGIN PRIVATE KEY-----\nABCDEFGHIJKLMNOP\nABCDEFGHIJKLMNO\n-----END PRIVATE KEY-----";
    expect(scrub("-----BEGIN PRIVATE KEY----- ABCDEFGHIJKLMNO", [pem])).toBe(
      "-----BEGIN PRIVATE KEY----- ABCDEFGHIJKLMNO",
    );
    expect(scrub("x ABCDEFGHIJKLMNOP", [pem])).toBe("x [redacted]");
    expect(scrub("four abcd", ["abcd"])).toBe("four [redacted]");
    expect(scrub("three abc", ["abc"])).toBe("three abc");
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
