import { appendFileSync } from "node:fs";
import type { CliIO, Command, Failure } from "../common/cli";
import { readStreamBounded } from "./files";
import { flags, toOptions, usage, type VerifyOptions } from "./options";
import { failureReport, humanReport, jsonReport, markdownReport } from "./report";

/**
 * verify as a command: the CLI edge parses, this runs and prints. Only
 * options, files and report are loaded up front; msal-node, jose and (for
 * --stack) Pulumi load with `run`, and the Azure SDKs only when Key Vault
 * signs, so --help and argument errors answer without them.
 */
export const verifyCommand: Command<typeof flags, VerifyOptions> = {
  name: "verify",
  usage,
  flags,
  json: true,
  parse: toOptions,
  async run(options, io, json) {
    if (options.expiryWithinDays !== undefined) return checkExpiry(options, options.expiryWithinDays, io, json);
    const verifyIO = {
      env: io.env,
      readStdin: async () => (await readStreamBounded(io.stdin, "--outputs - (stdin)")).toString("utf8"),
      progress: (line: string) => io.stderr.write(`verify: ${line}\n`),
    };
    if (options.allClients) {
      const { runAllClients, humanClientsReport, jsonClientsReport } = await import("./clients.js");
      const all = await runAllClients(options, verifyIO);
      (all.exitCode === 0 || json ? io.stdout : io.stderr).write(
        json ? jsonClientsReport(all) : humanClientsReport(all),
      );
      const summary = io.env.GITHUB_STEP_SUMMARY;
      if (summary) {
        try {
          appendFileSync(
            summary,
            all.clients.map((c) => `#### client ${c.name}\n\n${markdownReport(c.report)}`).join("\n"),
          );
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? "error";
          io.stderr.write(`verify: warning: cannot append the report to GITHUB_STEP_SUMMARY (${code})\n`);
        }
      }
      return all.exitCode;
    }
    const { runVerify } = await import("./run.js");
    const report = await runVerify(options, verifyIO);
    // Reports are built from safe values only (see run.ts); nothing is scrubbed here because nothing needs to be.
    const text = json ? jsonReport(report) : humanReport(report);
    (report.exitCode === 0 || json ? io.stdout : io.stderr).write(text);
    appendSummary(io, markdownReport(report));
    return report.exitCode;
  },
  failureJson: (failure: Failure) => JSON.parse(jsonReport(failureReport(failure))),
};

/** --check-expiry: every attached certificate's end date, no token; exit 9 when one ends within the days given. */
async function checkExpiry(options: VerifyOptions, withinDays: number, io: CliIO, json: boolean): Promise<number> {
  const { humanExpiry, jsonExpiry, markdownExpiry, runExpiryCheck } = await import("./expiry.js");
  const report = await runExpiryCheck(options, withinDays, {
    readStdin: async () => (await readStreamBounded(io.stdin, "--outputs - (stdin)")).toString("utf8"),
  });
  const text = json ? jsonExpiry(report) : humanExpiry(report);
  (report.exitCode === 0 || json ? io.stdout : io.stderr).write(text);
  appendSummary(io, markdownExpiry(report));
  return report.exitCode;
}

/** Appends to GITHUB_STEP_SUMMARY when set. The verdict is already printed and stands: a summary that cannot be written is a warning, not a failure. */
function appendSummary(io: CliIO, markdown: string): void {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  try {
    appendFileSync(summary, markdown);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    io.stderr.write(`verify: warning: cannot append the report to GITHUB_STEP_SUMMARY (${code})\n`);
  }
}
