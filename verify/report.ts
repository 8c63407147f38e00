import type { Failure } from "../common/cli";
import { redactor } from "../common/redact";
import type { Attempt } from "./acquire";
import type { Check } from "./check";
import { formatSeconds } from "./duration";

/** Everything a run found, with secrets left out by construction. */
export interface VerifyReport {
  verdict: "verified" | "failed";
  exitCode: number;
  error?: { code: string; message: string };
  inputs?: {
    source: string;
    tenantId: string;
    clientId: string;
    authority: string;
    scope: string;
    expectedRoles: string[];
    thumbprint?: string;
    thumbprintSha256?: string;
    assertion: string;
    caFile?: string;
    certificate: string;
    /** "[redacted]" for a local key; "in Key Vault" when the vault signs. */
    privateKey: "[redacted]" | "in Key Vault";
    /** The versioned id of the vault key that signs the assertion (Key Vault signing only). */
    keyVaultKeyId?: string;
  };
  warnings: string[];
  preflight: Check[];
  attempts: Attempt[];
  checks: Check[];
  timings: { preflightMs?: number; acquireMs?: number; checkMs?: number; totalMs: number };
  /** Secret values this run handled, for printers to scrub; never serialized. */
  secrets: string[];
}

/** The table a person reads, and a one-line verdict. */
export function humanReport(r: VerifyReport): string {
  const lines: string[] = [];
  if (r.inputs)
    lines.push(
      `verify: client ${r.inputs.clientId} at ${r.inputs.authority}, scope ${r.inputs.scope}${r.inputs.keyVaultKeyId ? `, the assertion (${r.inputs.assertion.split(",")[0]}) signed by Key Vault key ${r.inputs.keyVaultKeyId}` : ""}`,
    );
  for (const w of r.warnings) lines.push(`  WARN  ${w}`);
  const rows = [...r.preflight, ...r.checks];
  const width = Math.max(0, ...rows.map((c) => c.name.length));
  for (const c of rows) lines.push(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`);
  lines.push(verdictLine(r));
  return `${lines.join("\n")}\n`;
}

export function verdictLine(r: VerifyReport): string {
  const tries = r.attempts.length === 1 ? "1 attempt" : `${r.attempts.length} attempts`;
  if (r.verdict === "verified") {
    const roles = r.inputs?.expectedRoles.length ? ` with ${r.inputs.expectedRoles.join(", ")}` : "";
    // Said in the verdict too: a reader of the last line alone (a job log, the rehearsal's summary) sees that the
    // key stayed in the vault.
    const vault = r.inputs?.keyVaultKeyId ? ", its assertion signed by Key Vault" : "";
    return `verified: a certificate-authenticated token for ${r.inputs?.scope}${roles}${vault} (${tries}, ${formatSeconds(r.timings.totalMs)})`;
  }
  return `FAILED (${r.error?.code}, exit ${r.exitCode}): ${r.error?.message}`;
}

/** A failed report with nothing in it yet; `secrets` is not enumerable, so it never reaches JSON. */
export function emptyReport(exitCode: number): VerifyReport {
  const report: VerifyReport = {
    verdict: "failed",
    exitCode,
    warnings: [],
    preflight: [],
    attempts: [],
    checks: [],
    timings: { totalMs: 0 },
    secrets: [],
  };
  Object.defineProperty(report, "secrets", { enumerable: false });
  return report;
}

/** A run that stopped at the command line: the same report shape, with only the error. */
export function failureReport(failure: Failure): VerifyReport {
  const report = emptyReport(failure.exitCode);
  report.error = { code: failure.code, message: failure.message };
  return report;
}

/** The JSON object a pipeline reads; `secrets` is not enumerable and never appears. */
export function jsonReport(r: VerifyReport): string {
  const { verdict, exitCode, error, inputs, warnings, preflight, attempts, checks, timings } = r;
  const ordered = {
    schema: "entra-cert-auth/verify@1",
    verdict,
    exitCode,
    error,
    inputs,
    warnings,
    preflight,
    attempts,
    checks,
    timings,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** The Markdown appended to GITHUB_STEP_SUMMARY. */
export function markdownReport(r: VerifyReport): string {
  const row = (c: Check) => `| ${c.ok ? "✅" : "❌"} | ${c.name} | ${c.detail.replaceAll("|", "\\|")} |`;
  const lines = [
    `### Entra ID certificate check: ${r.verdict === "verified" ? "verified ✅" : "failed ❌"}`,
    "",
    r.inputs ? `Client \`${r.inputs.clientId}\` at \`${r.inputs.authority}\`, scope \`${r.inputs.scope}\`.` : "",
    "",
    "| | check | detail |",
    "|---|---|---|",
    ...[...r.preflight, ...r.checks].map(row),
    "",
    ...r.warnings.map((w) => `> ⚠️ ${w}`),
    "",
    verdictLine(r),
    "",
  ];
  return lines.join("\n");
}

/**
 * The report with every message redacted (common/redact.ts): the secrets the run handled, whole or in pieces, and
 * any JWT or PEM private key by shape. Reports are built from safe values; this catches what a library might have
 * slipped into a message. The same object, for chaining.
 */
export function scrubReport(r: VerifyReport): VerifyReport {
  const clean = redactor(r.secrets);
  if (r.error) r.error.message = clean(r.error.message);
  // Inputs are checked for shape, but a base64 line of a key can pass a role value's shape.
  if (r.inputs) {
    r.inputs.expectedRoles = r.inputs.expectedRoles.map(clean);
    r.inputs.scope = clean(r.inputs.scope);
  }
  r.warnings = r.warnings.map(clean);
  for (const c of [...r.preflight, ...r.checks]) c.detail = clean(c.detail);
  for (const a of r.attempts) a.reason = clean(a.reason);
  return r;
}
