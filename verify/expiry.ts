import { parseCertificate } from "../common/certificate";
import { isRecord } from "../common/json";
import { isThumbprintHex } from "../common/safe";
import { thumbprints } from "../common/thumbprint";
import { exitCodes, InputError, reportedFailure } from "./errors";
import { parseJson, readText } from "./inputs";
import type { VerifyOptions } from "./options";

/** One certificate the application has attached, and how long it has left. */
export interface CertificateExpiry {
  thumbprint: string;
  thumbprintSha256?: string;
  notAfter: string;
  /** Whole days left (rounded down; negative once it has ended). */
  daysLeft: number;
  /** The first one listed is the current certificate; the others stay attached for overlap. */
  role: "current" | "previous";
  expiring: boolean;
}

/** What --check-expiry found: no token is asked for. */
export interface ExpiryReport {
  verdict: "ok" | "expiring" | "failed";
  exitCode: number;
  error?: { code: string; message: string };
  withinDays: number;
  checkedAt: string;
  /** "attachedCertificates", or "certificatePem" for outputs that do not list them (an older program). */
  source?: "attachedCertificates" | "certificatePem";
  certificates: CertificateExpiry[];
}

/** How an expiry check reads its outputs and the time. */
export interface ExpiryIO {
  readStdin: () => Promise<string>;
  /** The current time in ms (tests pass a fixed clock). */
  now?: () => number;
}

const day = 86_400_000;

/**
 * --check-expiry: reads the stack outputs and reports every attached
 * certificate's end date, without a token. Never exits or throws for a bad
 * input: the report carries the exit code (9 when any certificate ends within
 * `withinDays`, 0 otherwise).
 */
export async function runExpiryCheck(options: VerifyOptions, withinDays: number, io: ExpiryIO): Promise<ExpiryReport> {
  const now = new Date((io.now ?? Date.now)());
  const report: ExpiryReport = {
    verdict: "failed",
    exitCode: exitCodes.unexpected,
    withinDays,
    checkedAt: now.toISOString(),
    certificates: [],
  };
  try {
    const { source, certificates } = attachedCertificates(await readOutputs(options, io), withinDays, now);
    report.source = source;
    report.certificates = certificates;
    const expiring = certificates.some((c) => c.expiring);
    report.verdict = expiring ? "expiring" : "ok";
    report.exitCode = expiring ? exitCodes.expiring : exitCodes.verified;
  } catch (err) {
    ({ exitCode: report.exitCode, error: report.error } = reportedFailure(err));
  }
  return report;
}

async function readOutputs(options: VerifyOptions, io: ExpiryIO): Promise<unknown> {
  if (options.outputs !== undefined) {
    const what = options.outputs === "-" ? "--outputs - (stdin)" : "--outputs";
    const text = options.outputs === "-" ? await io.readStdin() : readText(options.outputs, "--outputs");
    return parseJson(text, what);
  }
  if (options.stack !== undefined) {
    const { stackOutputs } = await import("./stack.js");
    return stackOutputs(options.stack, options.cwd ?? process.cwd());
  }
  throw new InputError("--check-expiry reads the stack's outputs: give --outputs <file|-> or --stack <name>");
}

/**
 * The certificates of the `attachedCertificates` output (current first), or,
 * for outputs without it, the current certificate from `certificatePem`.
 * Entries are checked for shape; a value is never echoed.
 */
export function attachedCertificates(
  outputs: unknown,
  withinDays: number,
  now: Date,
): { source: "attachedCertificates" | "certificatePem"; certificates: CertificateExpiry[] } {
  if (!isRecord(outputs))
    throw new InputError(
      "stack outputs are not a JSON object: pass the output of `pulumi stack output --json --show-secrets`",
    );
  const listed = outputs.attachedCertificates;
  if (listed === "[secret]")
    throw new InputError('output attachedCertificates is redacted ("[secret]"): run `pulumi stack output --json`');
  const describe = (thumbprint: string, thumbprintSha256: string | undefined, end: Date, i: number) => {
    const daysLeft = Math.floor((end.getTime() - now.getTime()) / day);
    return {
      thumbprint,
      thumbprintSha256,
      notAfter: end.toISOString(),
      daysLeft,
      role: i === 0 ? "current" : "previous",
      expiring: end.getTime() - now.getTime() <= withinDays * day,
    } satisfies CertificateExpiry;
  };
  if (listed === undefined || listed === null) {
    const pem = outputs.certificatePem;
    if (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----"))
      throw new InputError(
        "outputs have neither attachedCertificates nor certificatePem: pass the outputs of this project's stack",
      );
    const certificate = parseCertificate(pem);
    if (!certificate) throw new InputError("output certificatePem is not a PEM certificate");
    const t = thumbprints(certificate);
    return { source: "certificatePem", certificates: [describe(t.sha1, t.sha256, new Date(certificate.validTo), 0)] };
  }
  if (!Array.isArray(listed) || listed.length === 0)
    throw new InputError("output attachedCertificates must be a non-empty list of certificates");
  const certificates = listed.map((entry, i) => {
    const where = `output attachedCertificates[${i}]`;
    if (!isRecord(entry)) throw new InputError(`${where} is not an object`);
    const { thumbprint, thumbprintSha256, notAfter } = entry;
    if (typeof thumbprint !== "string" || thumbprint.length !== 40 || !isThumbprintHex(thumbprint))
      throw new InputError(`${where}.thumbprint is not a 40-hex-digit thumbprint`);
    if (
      thumbprintSha256 !== undefined &&
      (typeof thumbprintSha256 !== "string" || thumbprintSha256.length !== 64 || !isThumbprintHex(thumbprintSha256))
    )
      throw new InputError(`${where}.thumbprintSha256 is not a 64-hex-digit thumbprint`);
    const end = typeof notAfter === "string" && isoDate.test(notAfter) ? new Date(notAfter) : undefined;
    if (!end || Number.isNaN(end.getTime()))
      throw new InputError(`${where}.notAfter is not an RFC 3339 date (e.g. 2027-01-31T12:00:00Z)`);
    return describe(thumbprint.toUpperCase(), thumbprintSha256?.toUpperCase(), end, i);
  });
  return { source: "attachedCertificates", certificates };
}

const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const ends = (c: CertificateExpiry) =>
  c.daysLeft < 0 ? `ended ${c.notAfter}` : `ends ${c.notAfter} (in ${c.daysLeft} day${c.daysLeft === 1 ? "" : "s"})`;

const rotate = "rotate: pulumi config set rotation <new value> && pulumi up, then verify";

/** The lines a person reads, and a one-line verdict. */
export function humanExpiry(r: ExpiryReport): string {
  const lines: string[] = [];
  for (const c of r.certificates)
    lines.push(`  ${c.expiring ? "EXPIRING" : "OK      "}  ${c.role.padEnd(8)}  ${c.thumbprint}  ${ends(c)}`);
  lines.push(expiryVerdict(r));
  return `${lines.join("\n")}\n`;
}

export function expiryVerdict(r: ExpiryReport): string {
  const n = r.certificates.length;
  const attached = `${n} attached certificate${n === 1 ? "" : "s"}`;
  if (r.verdict === "ok") return `ok: none of ${attached} ends within ${r.withinDays} days`;
  if (r.verdict === "expiring") {
    const count = r.certificates.filter((c) => c.expiring).length;
    return `EXPIRING (exit ${r.exitCode}): ${count} of ${attached} end${count === 1 ? "s" : ""} within ${r.withinDays} days; ${rotate}`;
  }
  return `FAILED (${r.error?.code}, exit ${r.exitCode}): ${r.error?.message}`;
}

/** The JSON object a pipeline reads. */
export function jsonExpiry(r: ExpiryReport): string {
  const { verdict, exitCode, error, withinDays, checkedAt, source, certificates } = r;
  const ordered = { schema: "entra-cert-auth/expiry@1", verdict, exitCode, error, withinDays, checkedAt, source };
  return `${JSON.stringify({ ...ordered, certificates }, null, 2)}\n`;
}

/** The Markdown appended to GITHUB_STEP_SUMMARY. */
export function markdownExpiry(r: ExpiryReport): string {
  const title = { ok: "ok ✅", expiring: "expiring ⚠️", failed: "failed ❌" }[r.verdict];
  return [
    `### Entra ID certificate expiry: ${title}`,
    "",
    "| | certificate | thumbprint (SHA-1) | ends |",
    "|---|---|---|---|",
    ...r.certificates.map((c) => `| ${c.expiring ? "⚠️" : "✅"} | ${c.role} | \`${c.thumbprint}\` | ${ends(c)} |`),
    "",
    expiryVerdict(r),
    "",
  ].join("\n");
}
