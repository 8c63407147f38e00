import { appendFileSync } from "node:fs";
import { exitCodes, VerifyError } from "./errors";
import { parseOptions, usage } from "./options";
import { humanReport, jsonReport, markdownReport, scrub } from "./report";
import { runVerify } from "./run";

/** The edge: the only place that prints and sets the exit code. */
async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    console.error(`verify: ${(err as Error).message}`);
    return err instanceof VerifyError ? err.exitCode : exitCodes.unexpected;
  }
  if (options.help) return (process.stdout.write(`${usage}\n`), exitCodes.verified);

  const secrets: string[] = [];
  const report = await runVerify(options, {
    env: process.env,
    readStdin,
    progress: (line) => process.stderr.write(`verify: ${scrub(line, secrets)}\n`),
  });
  secrets.push(...report.secrets);
  const text = options.json ? jsonReport(report) : humanReport(report);
  (report.exitCode === 0 || options.json ? process.stdout : process.stderr).write(scrub(text, secrets));
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, scrub(markdownReport(report), secrets));
  return report.exitCode;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`verify: unexpected ${err.name}`);
    process.exitCode = exitCodes.unexpected;
  },
);
