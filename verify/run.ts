import { type Attempt, acquire } from "./acquire";
import type { Backoff } from "./backoff";
import type { Check } from "./check";
import { exitCodes, InputError, TokenCheckError, VerifyError } from "./errors";
import { type ClientInputs, fromEnvironment, fromStackOutputs, parseJson, readText } from "./inputs";
import type { VerifyOptions } from "./options";
import { preflight } from "./preflight";
import { checkToken, fetchJwks, missingRoles } from "./tokenChecks";

/** How a run reaches the world; tests pass their own. */
export interface VerifyIO {
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
  /** Progress lines, e.g. each wait before a retry. */
  progress: (line: string) => void;
  backoff?: Backoff;
}

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
    privateKey: "[redacted]";
  };
  warnings: string[];
  preflight: Check[];
  attempts: Attempt[];
  checks: Check[];
  timings: { preflightMs?: number; acquireMs?: number; checkMs?: number; totalMs: number };
  /** Secret values this run handled, for the printer to scrub; never serialized. */
  secrets: string[];
}

/** One verify run: inputs, preflight, token, checks. Never exits; the verdict carries the exit code. */
export async function runVerify(options: VerifyOptions, io: VerifyIO): Promise<VerifyReport> {
  const started = Date.now();
  const report: VerifyReport = {
    verdict: "failed",
    exitCode: exitCodes.unexpected,
    warnings: [],
    preflight: [],
    attempts: [],
    checks: [],
    timings: { totalMs: 0 },
    secrets: [],
  };
  Object.defineProperty(report, "secrets", { enumerable: false });
  try {
    await run(options, io, report, started);
    report.verdict = "verified";
    report.exitCode = exitCodes.verified;
  } catch (err) {
    report.exitCode = err instanceof VerifyError ? err.exitCode : exitCodes.unexpected;
    report.error =
      err instanceof VerifyError
        ? { code: err.code, message: err.message }
        : {
            code: "ERR_UNEXPECTED",
            message: `${(err as Error).name ?? "Error"}: ${String((err as Error).message ?? err).split("\n")[0]}`,
          };
  }
  report.timings.totalMs = Date.now() - started;
  return report;
}

async function run(options: VerifyOptions, io: VerifyIO, report: VerifyReport, started: number): Promise<void> {
  const inputs = await loadInputs(options, io);
  report.secrets.push(inputs.privateKeyPem);
  if (options.caFile) inputs.caPem = readText(options.caFile, "--ca-file");
  report.inputs = describeInputs(inputs, options);

  const t0 = Date.now();
  const pre = preflight(inputs, options.warnDays);
  report.preflight = pre.checks;
  report.warnings.push(...pre.warnings);
  report.timings.preflightMs = Date.now() - t0;

  const t1 = Date.now();
  const acquired = await acquire({
    inputs,
    preflight: pre,
    thumbprint: options.thumbprint,
    deadline: started + options.timeoutSeconds * 1000,
    missingRoles: (token) => missingRoles(token, inputs.expectedRoles),
    onWait: io.progress,
    backoff: io.backoff,
    attempts: report.attempts,
  }).finally(() => (report.timings.acquireMs = Date.now() - t1));
  report.secrets.push(acquired.accessToken);

  const t2 = Date.now();
  const jwks = await fetchJwks(inputs).catch((err: Error) => {
    throw new TokenCheckError(
      `cannot fetch the authority's signing keys to check the token (${err.message.split("\n")[0]})`,
    );
  });
  const { checks } = await checkToken(acquired.accessToken, inputs, jwks);
  report.checks = checks;
  report.timings.checkMs = Date.now() - t2;
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0)
    throw new TokenCheckError(`token check failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
}

async function loadInputs(options: VerifyOptions, io: VerifyIO): Promise<ClientInputs> {
  if (options.outputs !== undefined) {
    const text = options.outputs === "-" ? await io.readStdin() : readText(options.outputs, "--outputs");
    if (!text.trim())
      throw new InputError(
        `--outputs ${options.outputs} is empty: pipe in \`pulumi stack output --json --show-secrets\``,
      );
    return fromStackOutputs(parseJson(text, `--outputs ${options.outputs}`), options);
  }
  if (options.stack !== undefined) {
    // Loaded only here: the Automation API pulls in the whole Pulumi SDK, which
    // would otherwise dominate verify's start-up time.
    const { stackOutputs } = await import("./stack.js");
    return fromStackOutputs(await stackOutputs(options.stack, options.cwd ?? process.cwd()), options, "stack");
  }
  return fromEnvironment(io.env, options);
}

function describeInputs(inputs: ClientInputs, options: VerifyOptions): NonNullable<VerifyReport["inputs"]> {
  return {
    source: inputs.source,
    tenantId: inputs.tenantId,
    clientId: inputs.clientId,
    authority: `${inputs.authorityHost}/${inputs.tenantId}`,
    scope: inputs.scope,
    expectedRoles: inputs.expectedRoles,
    thumbprint: inputs.thumbprint,
    thumbprintSha256: inputs.thumbprintSha256,
    assertion: options.thumbprint === "sha256" ? "PS256 with x5t#S256" : "RS256 with x5t",
    caFile: options.caFile,
    certificate: "from inputs",
    privateKey: "[redacted]",
  };
}
