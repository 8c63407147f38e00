import { isRecord } from "../common/json";
import { exitCodes, InputError, VerifyError } from "./errors";
import { clientNames, parseJson, readText } from "./inputs";
import type { VerifyOptions } from "./options";
import type { VerifyReport } from "./report";
import { humanReport, jsonReport, verdictLine } from "./report";
import { runVerify, type VerifyIO } from "./run";

/** Every client's report, and the verdict of them all. */
export interface ClientsReport {
  verdict: "verified" | "failed";
  /** The worst client's exit code (see worstExitCode). */
  exitCode: number;
  /** Set when the outputs could not be read at all: no client was verified. */
  error?: { code: string; message: string };
  clients: { name: string; report: VerifyReport }[];
}

/**
 * The exit code of many verdicts: 0 when all are verified, else the highest failure's code, except that an
 * unexpected error (1) outranks every known failure: it says least about what is wrong.
 */
export function worstExitCode(codes: number[]): number {
  if (codes.includes(exitCodes.unexpected)) return exitCodes.unexpected;
  return Math.max(exitCodes.verified, ...codes);
}

/**
 * `--all-clients`: reads the outputs once, then verifies each client of their `clients` map concurrently, as
 * `--client <name>` would, each with its own deadline, secrets and report. Progress lines name their client.
 */
export async function runAllClients(options: VerifyOptions, io: VerifyIO): Promise<ClientsReport> {
  let clients: Record<string, unknown>;
  try {
    clients = clientsOf(await readOutputs(options, io));
  } catch (err) {
    // An unexpected error's message may hold anything: its kind only, as runVerify reports it.
    const error =
      err instanceof VerifyError
        ? { code: err.code as string, message: err.message, exitCode: err.exitCode }
        : { code: "ERR_UNEXPECTED", message: "unexpected error", exitCode: exitCodes.unexpected };
    return {
      verdict: "failed",
      exitCode: error.exitCode,
      error: { code: error.code, message: error.message },
      clients: [],
    };
  }
  // Each run reads the same outputs from memory: a stack is read once, not once per client.
  const text = JSON.stringify({ clients });
  const names = Object.keys(clients);
  const reports = await Promise.all(
    names.map(async (name) => {
      const one: VerifyOptions = { ...options, allClients: false, client: name, outputs: "-", stack: undefined };
      const report = await runVerify(one, {
        ...io,
        readStdin: async () => text,
        progress: (line) => io.progress(`[${name}] ${line}`),
      });
      return { name, report };
    }),
  );
  const exitCode = worstExitCode(reports.map((r) => r.report.exitCode));
  return { verdict: exitCode === exitCodes.verified ? "verified" : "failed", exitCode, clients: reports };
}

async function readOutputs(options: VerifyOptions, io: VerifyIO): Promise<unknown> {
  if (options.outputs !== undefined) {
    const text = options.outputs === "-" ? await io.readStdin() : readText(options.outputs, "--outputs");
    if (!text.trim()) throw new InputError("--outputs is empty: pipe in `pulumi stack output --json --show-secrets`");
    return parseJson(text, "--outputs");
  }
  if (options.stack === undefined)
    throw new InputError("--all-clients reads a stack's outputs: give --outputs or --stack");
  const { stackOutputs } = await import("./stack.js");
  return stackOutputs(options.stack, options.cwd ?? process.cwd());
}

function clientsOf(outputs: unknown): Record<string, unknown> {
  const clients = isRecord(outputs) ? outputs.clients : undefined;
  if (clients === "[secret]")
    throw new InputError('output clients is redacted ("[secret]"): run `pulumi stack output --json --show-secrets`');
  if (!isRecord(clients))
    throw new InputError("--all-clients: the outputs hold no `clients` map; this stack has one client: leave it out");
  if (Object.keys(clients).length === 0) throw new InputError("--all-clients: the outputs' clients map is empty");
  const bad = clientNames(clients).find((n) => n.endsWith(" more"));
  if (bad) throw new InputError(`--all-clients: the outputs' clients map has ${bad} key(s) that are no client names`);
  return clients;
}

/** Each client's table under its name, then one line per client and the overall verdict. */
export function humanClientsReport(r: ClientsReport): string {
  if (r.error) return `FAILED (${r.error.code}, exit ${r.exitCode}): ${r.error.message}\n`;
  const sections = r.clients.map(({ name, report }) => `== client ${name}\n${humanReport(report)}`);
  const width = Math.max(0, ...r.clients.map((c) => c.name.length));
  const summary = r.clients.map(({ name, report }) => `  ${name.padEnd(width)}  ${verdictLine(report)}`);
  const verdict =
    r.verdict === "verified"
      ? `verified: all ${r.clients.length} clients`
      : `FAILED (exit ${r.exitCode}): ${r.clients.filter((c) => c.report.exitCode !== 0).length} of ${r.clients.length} clients failed`;
  return `${sections.join("\n")}\nclients:\n${summary.join("\n")}\n${verdict}\n`;
}

/** The JSON object a pipeline reads: each client's verify report (the single-client schema) by name. */
export function jsonClientsReport(r: ClientsReport): string {
  const clients = Object.fromEntries(r.clients.map(({ name, report }) => [name, JSON.parse(jsonReport(report))]));
  return `${JSON.stringify({ schema: "entra-cert-auth/verify-clients@1", verdict: r.verdict, exitCode: r.exitCode, error: r.error, clients }, null, 2)}\n`;
}
