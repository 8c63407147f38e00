import { appendFileSync } from "node:fs";
import type { Command, Failure } from "../common/cli";
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
    const summary = io.env.GITHUB_STEP_SUMMARY;
    if (summary) {
      // The verdict is already printed and stands: a summary that cannot be written is a warning, not a failure.
      try {
        appendFileSync(summary, markdownReport(report));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "error";
        io.stderr.write(`verify: warning: cannot append the report to GITHUB_STEP_SUMMARY (${code})\n`);
      }
    }
    return report.exitCode;
  },
  failureJson: (failure: Failure) => JSON.parse(jsonReport(failureReport(failure))),
};
