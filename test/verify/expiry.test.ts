import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { thumbprints } from "../../common/thumbprint";
import { verifyCommand } from "../../verify/command";
import { exitCodes } from "../../verify/errors";
import { attachedCertificates, runExpiryCheck } from "../../verify/expiry";
import { parseOptions } from "../../verify/options";
import { makeCertificate, type TestCertificate } from "../support/certificates";
import { inProcess } from "../support/cli";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";

const day = 86_400_000;
/** The fixed moment the tests' clock reads. */
const now = Date.parse("2026-12-06T12:00:00Z");

const entryOf = (cert: TestCertificate) => {
  const t = thumbprints(cert.certificatePem);
  return {
    thumbprint: t.sha1,
    thumbprintSha256: t.sha256,
    notAfter: new Date(new X509Certificate(cert.certificatePem).validTo).toISOString().replace(".000Z", "Z"),
  };
};

describe("verify --check-expiry", () => {
  const dir = fileTempDir("eca-expiry-");
  let shortLived: TestCertificate;
  let longLived: TestCertificate;
  let outputs: Record<string, unknown>;
  let file: string;

  beforeAll(async () => {
    // A certificate that ends three days and an hour after the clock's now, and one that ends in a year.
    shortLived = await makeCertificate({
      notBefore: new Date(now - day),
      notAfter: new Date(now + 3 * day + 3_600_000),
    });
    longLived = await makeCertificate({ notBefore: new Date(now - day), notAfter: new Date(now + 365 * day) });
    outputs = {
      certificatePem: shortLived.certificatePem,
      privateKeyPem: shortLived.privateKeyPem,
      // No authority answers here: the expiry check never asks for a token.
      authority: "https://127.0.0.1:1/00000000-0000-0000-0000-000000000000",
      attachedCertificates: [entryOf(shortLived), entryOf(longLived)],
    };
    file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify(outputs));
  });

  const check = (withinDays: number, at = now, options = parseOptions(["--outputs", file])) =>
    runExpiryCheck(options, withinDays, { readStdin: async () => "", now: () => at });

  it("exits 9 when the short-lived current certificate ends within the days given, naming each certificate's thumbprint and end", async () => {
    const report = await check(7);
    expect(report.exitCode).toBe(exitCodes.expiring);
    expect(exitCodes.expiring).toBe(9);
    expect(report.verdict).toBe("expiring");
    expect(report.source).toBe("attachedCertificates");
    expect(report.certificates).toEqual([
      { ...entryOf(shortLived), notAfter: expect.any(String), daysLeft: 3, role: "current", expiring: true },
      { ...entryOf(longLived), notAfter: expect.any(String), daysLeft: 365, role: "previous", expiring: false },
    ]);
    expect(Date.parse(report.certificates[0]?.notAfter ?? "")).toBe(Date.parse(entryOf(shortLived).notAfter));
    expect(report.checkedAt).toBe("2026-12-06T12:00:00.000Z");
  });

  it("exits 0 when none ends within the days given, by the injected clock", async () => {
    expect((await check(2)).exitCode).toBe(0);
    // Ten days earlier the short-lived one still has thirteen days: fine for a 7-day watch, not for a 30-day one.
    const earlier = await check(7, now - 10 * day);
    expect(earlier).toMatchObject({ verdict: "ok", exitCode: 0 });
    expect(earlier.certificates[0]?.daysLeft).toBe(13);
    expect((await check(30, now - 10 * day)).exitCode).toBe(9);
  });

  it("counts a certificate that has already ended as expiring, with negative days", async () => {
    const report = await check(0, now + 4 * day);
    expect(report.exitCode).toBe(9);
    expect(report.certificates[0]).toMatchObject({ expiring: true, daysLeft: -1 });
  });

  it("falls back to certificatePem for outputs without attachedCertificates", () => {
    const { attachedCertificates: _, ...older } = outputs;
    const found = attachedCertificates(older, 7, new Date(now));
    expect(found.source).toBe("certificatePem");
    expect(found.certificates).toEqual([
      expect.objectContaining({ thumbprint: entryOf(shortLived).thumbprint, role: "current", expiring: true }),
    ]);
  });

  it.each([
    [{ attachedCertificates: "[secret]" }, /attachedCertificates is redacted/],
    [{ attachedCertificates: [] }, /attachedCertificates must be a non-empty list/],
    [
      { attachedCertificates: [{ thumbprint: "zz", notAfter: "2027-01-01T00:00:00Z" }] },
      /\[0\]\.thumbprint is not a 40-hex-digit/,
    ],
    [
      { attachedCertificates: [{ thumbprint: "AB".repeat(20), notAfter: "next year" }] },
      /\[0\]\.notAfter is not an RFC 3339 date/,
    ],
    [
      {
        attachedCertificates: [
          {
            thumbprint: "AB".repeat(20),
            thumbprintSha256: "-----BEGIN PRIVATE KEY-----",
            notAfter: "2027-01-01T00:00:00Z",
          },
        ],
      },
      /\[0\]\.thumbprintSha256 is not a 64-hex-digit/,
    ],
    [{ tenantId: "x" }, /neither attachedCertificates nor certificatePem/],
    [[1, 2], /not a JSON object/],
  ])(
    "refuses malformed outputs (%#) with exit 2 and a message that names the field, never its value",
    (bad, message) => {
      expect(() => attachedCertificates(bad, 7, new Date(now))).toThrow(message);
    },
  );

  it("reports a malformed file in the report, not by throwing", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    const report = await check(7, now, parseOptions(["--outputs", bad]));
    expect(report).toMatchObject({ verdict: "failed", exitCode: 2, error: { code: "ERR_BAD_INPUT" } });
  });

  describe("as a command", () => {
    const verify = (args: string[], stdin?: string) =>
      inProcess((io) => runCommand(verifyCommand, args, io), { stdin });

    it("prints each certificate and the verdict, exit 9, on stderr; one JSON object with --json; a summary table", async () => {
      // The command reads the real clock: the short-lived certificate ends well within 400 days of it.
      const human = await verify(["--outputs", file, "--check-expiry", "--within-days", "400"]);
      expect(human.code).toBe(9);
      expect(human.stdout).toBe("");
      expect(human.stderr).toMatch(
        new RegExp(`^ {2}EXPIRING {2}current {3}${entryOf(shortLived).thumbprint} {2}(ends|ended) `, "m"),
      );
      expect(human.stderr).toMatch(
        /^EXPIRING \(exit 9\): 2 of 2 attached certificates end within 400 days; rotate: pulumi config set rotation <new value> && pulumi up, then verify$/m,
      );
      expect(human.summary).toContain("### Entra ID certificate expiry: expiring ⚠️");
      expect(human.summary).toContain(`| ⚠️ | current | \`${entryOf(shortLived).thumbprint}\` |`);
      const json = await verify(
        ["--outputs", "-", "--check-expiry", "--within-days", "400", "--json"],
        JSON.stringify(outputs),
      );
      expect(json.code).toBe(9);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({
        schema: "entra-cert-auth/expiry@1",
        verdict: "expiring",
        exitCode: 9,
        withinDays: 400,
      });
      expect(report.certificates.map((c: { thumbprint: string }) => c.thumbprint)).toEqual([
        entryOf(shortLived).thumbprint,
        entryOf(longLived).thumbprint,
      ]);
      expectNoSecrets(human.stdout + human.stderr + human.summary + json.stdout + json.stderr, [
        shortLived.privateKeyPem,
      ]);
    });

    it("refuses --within-days without --check-expiry, and --check-expiry without outputs or a stack (exit 2)", async () => {
      const alone = await verify(["--outputs", file, "--within-days", "3"]);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toBe("verify: --within-days goes with --check-expiry\n");
      const sourceless = await verify(["--check-expiry", "--json"]);
      expect(sourceless.code).toBe(2);
      expect(JSON.parse(sourceless.stdout).error.message).toContain("--check-expiry reads the stack's outputs");
      const negative = await verify(["--outputs", file, "--check-expiry", "--within-days", "-1"]);
      expect(negative.stderr).toBe("verify: --within-days must be a non-negative number of days\n");
    });
  });
});
