import { X509Certificate } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { failureOf } from "../common/errors";
import { readCertificateFile } from "../verify/certificateFile";
import { exitCodes } from "../verify/errors";
import type { ExpiryReport } from "../verify/expiry";
import { readBounded } from "../verify/files";
import {
  failureReport,
  humanReport,
  jsonReport,
  markdownReport,
  type VerifyReport,
  verdictLine,
} from "../verify/report";
import { type ActionInputs, actionInputs, inInputTerms, input, passwordVariable, pathOf, reportFileOf } from "./inputs";
import { escapeData, maskCommands, secretOutputs } from "./mask";
import { writeOutputs } from "./outputs";
import { pulumiStackOutputs } from "./stack";

/** How the Action reaches the runner: its environment and stdout (workflow commands and the log). */
export interface ActionIO {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  /** The current time in ms, for the expiry check and expires-in-days (tests pass a fixed one). */
  now?: () => number;
}

/**
 * The Action's whole run, as the runner starts it (`node action/dist/index.mjs`
 * with INPUT_* variables): mask every secret it can read, then verify (or
 * check expiry), print, write the JSON report, the step summary and the
 * outputs. Returns the exit code; never throws.
 */
export async function runAction(io: ActionIO): Promise<number> {
  const { env } = io;
  const print = (line: string) => io.stdout.write(`${line}\n`);
  // First, before any other line: every secret any input leads to, registered with the runner's masking.
  const read = await readSecrets(env);
  for (const secret of read.secrets) for (const command of maskCommands(secret)) print(command);

  const reportFile = reportFileOf(env);
  let inputs: ActionInputs;
  try {
    if (read.failure) throw read.failure;
    inputs = actionInputs(env);
  } catch (err) {
    const failure = failureOf(err);
    const report = failureReport(failure);
    print(`::error title=entra-cert-auth verify::${escapeData(verdictLine(report))}`);
    return finish(io, reportFile, { verdict: "failed", exitCode: failure.exitCode, json: jsonReport(report) });
  }

  const now = io.now ?? Date.now;
  const readStdin = async () => read.stackText ?? "";
  if (inputs.options.expiryWithinDays !== undefined) {
    const { humanExpiry, jsonExpiry, markdownExpiry, runExpiryCheck } = await import("../verify/expiry.js");
    const report = inTerms(await runExpiryCheck(inputs.options, inputs.options.expiryWithinDays, { readStdin, now }));
    for (const line of humanExpiry(report).trimEnd().split("\n").slice(0, -1)) print(line);
    announce(print, report.exitCode, humanExpiry(report).trimEnd().split("\n").at(-1) ?? "");
    appendSummary(env, markdownExpiry(report));
    return finish(io, inputs.reportFile, {
      verdict: report.verdict,
      exitCode: report.exitCode,
      json: jsonExpiry(report),
      expiresInDays: report.certificates[0]?.daysLeft,
    });
  }

  // Loaded only now, as verify's CLI does: a bad input is answered without evaluating msal-node and jose.
  const { runVerify } = await import("../verify/run.js");
  const report = inTerms(
    await runVerify(inputs.options, {
      env: inputs.certificatePassword === undefined ? env : { ...env, [passwordVariable]: inputs.certificatePassword },
      readStdin,
      progress: (line) => print(`verify: ${line}`),
    }),
  );
  const lines = humanReport(report).trimEnd().split("\n");
  for (const line of lines.slice(0, -1)) print(line);
  announce(print, report.exitCode, lines.at(-1) ?? "");
  appendSummary(env, markdownReport(report));
  return finish(io, inputs.reportFile, {
    verdict: report.verdict,
    exitCode: report.exitCode,
    json: jsonReport(report),
    expiresInDays: daysLeft(read.currentCertificatePem, now()),
  });
}

interface Secrets {
  secrets: string[];
  /** The stack's outputs as `pulumi stack output --json --show-secrets` printed them (input stack). */
  stackText?: string;
  /** The certificate verify will use, for expires-in-days. */
  currentCertificatePem?: string;
  /** Reading the stack failed: reported once the masks are out. */
  failure?: unknown;
}

/**
 * Every secret the inputs lead to: the certificate password, the secret
 * outputs of the outputs file or the stack, and the private key of the
 * certificate file (also the one inside a PFX). Nothing is reported here:
 * what cannot be read now is verify's to report, after the masks.
 */
async function readSecrets(env: NodeJS.ProcessEnv): Promise<Secrets> {
  const found: Secrets = { secrets: [] };
  const password = input(env, "certificate-password");
  if (password) found.secrets.push(password);
  const outputsFile = input(env, "outputs-file");
  const stack = input(env, "stack");
  let outputs: unknown;
  try {
    if (outputsFile !== undefined) outputs = JSON.parse(readBounded(pathOf(env, outputsFile), "").toString("utf8"));
    else if (stack !== undefined) {
      found.stackText = await pulumiStackOutputs(stack, pathOf(env, input(env, "working-directory") ?? "."), env);
      outputs = JSON.parse(found.stackText);
    }
  } catch (err) {
    if (outputsFile === undefined && stack !== undefined && found.stackText === undefined) found.failure = err;
  }
  found.secrets.push(...secretOutputs(outputs));
  const pem = (outputs as { certificatePem?: unknown } | undefined)?.certificatePem;
  if (typeof pem === "string") found.currentCertificatePem = pem;
  const certificateFile = input(env, "certificate-file");
  if (certificateFile !== undefined) {
    found.currentCertificatePem = undefined;
    try {
      const file = await readCertificateFile(pathOf(env, certificateFile), "certificate-file", password ?? "");
      if (file.privateKeyPem !== undefined) found.secrets.push(file.privateKeyPem);
      found.currentCertificatePem = file.certificatePem;
    } catch {
      // With Key Vault signing the file holds the certificate only (the key stays in the vault): its end date still
      // makes expires-in-days. Anything else unreadable, or a wrong password: verify reports it.
      found.currentCertificatePem = await readCertificateFile(
        pathOf(env, certificateFile),
        "certificate-file",
        "",
        "certificate only",
      ).then(
        (file) => file.certificatePem,
        () => undefined,
      );
      // Mask the file's key lines as they are, if it has any.
      try {
        const text = readBounded(pathOf(env, certificateFile), "").toString("latin1");
        for (const block of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ??
          [])
          found.secrets.push(block);
      } catch {
        // Nothing readable, nothing to mask.
      }
    }
  }
  return found;
}

/** The verdict line: plain when it passed, an error annotation (one line) when it did not. */
function announce(print: (line: string) => void, exitCode: number, verdict: string): void {
  if (exitCode === exitCodes.verified) print(verdict);
  else print(`::error title=entra-cert-auth verify::${escapeData(verdict)}`);
}

/** Writes the JSON report and the outputs; the exit code stands whatever happens to them. */
function finish(
  io: ActionIO,
  reportFile: string,
  result: { verdict: string; exitCode: number; json: string; expiresInDays?: number },
): number {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  try {
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, result.json);
  } catch (err) {
    print(`::warning::cannot write the JSON report (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const outputFile = io.env.GITHUB_OUTPUT;
  if (outputFile) {
    try {
      writeOutputs(outputFile, {
        verdict: result.verdict,
        "exit-code": String(result.exitCode),
        report: reportFile,
        "expires-in-days": result.expiresInDays === undefined ? "" : String(result.expiresInDays),
      });
    } catch (err) {
      print(`::warning::cannot write the step outputs (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  return result.exitCode;
}

function appendSummary(env: NodeJS.ProcessEnv, markdown: string): void {
  const summary = env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  try {
    appendFileSync(summary, markdown);
  } catch {
    // The verdict stands without its summary (verify does the same).
  }
}

/** Whole days until the certificate ends, rounded down (negative once ended). */
function daysLeft(certificatePem: string | undefined, now: number): number | undefined {
  if (!certificatePem) return undefined;
  try {
    return Math.floor((new Date(new X509Certificate(certificatePem).validTo).getTime() - now) / 86_400_000);
  } catch {
    return undefined;
  }
}

/** A report whose messages name the Action's inputs instead of verify's flags. */
function inTerms<T extends VerifyReport | ExpiryReport>(report: T): T {
  if (report.error) report.error.message = inInputTerms(report.error.message);
  return report;
}
