import type { TokenCredential } from "@azure/identity";
import { isCertificate } from "../common/certificate";
import { pemBlocks, pemLabel } from "../common/pem";
import { redact } from "../common/redact";
import { isQuotablePath, quotedPath } from "../common/safe";
import { acquire, type Clock, realClock } from "./acquire";
import type { Backoff } from "./backoff";
import { readCertificateFile } from "./certificateFile";
import { exitCodes, InputError, reportedFailure, TokenCheckError } from "./errors";
import {
  type ClientCertificate,
  type ClientInputs,
  clientOutputs,
  fromEnvironment,
  fromStackOutputs,
  need,
  parseJson,
  readText,
  vaultMode,
} from "./inputs";
import type { VerifyOptions } from "./options";
import { preflight } from "./preflight";
import { emptyReport, scrubReport, type VerifyReport } from "./report";
import { checkToken, fetchJwks, missingRoles } from "./tokenChecks";
import { prepareVaultSigning } from "./vaultSigning";

/** How a run reaches the world; tests pass their own. */
export interface VerifyIO {
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
  /** Progress lines, e.g. each wait before a retry; already scrubbed of every secret the run has seen. */
  progress: (line: string) => void;
  /** Exponential backoff for 429/5xx (tests shorten it). */
  backoff?: Backoff;
  /** Time and waiting (tests pass a fake clock so that nothing waits for real). */
  clock?: Clock;
  /**
   * The identity that reaches Key Vault when Key Vault signs (the rehearsal
   * and tests pass one); absent, @azure/identity's DefaultAzureCredential,
   * which reads the process environment (not `env`).
   */
  vaultCredential?: TokenCredential;
}

/**
 * One verify run: inputs, preflight, token, checks. Never exits; the verdict
 * carries the exit code. Every message in the report is built from values
 * of a known-safe shape, and is scrubbed of the run's secrets as well before
 * it is returned (and every progress line before it is passed on).
 */
export async function runVerify(options: VerifyOptions, io: VerifyIO): Promise<VerifyReport> {
  const clock = io.clock ?? realClock;
  const started = clock.now();
  const report = emptyReport(exitCodes.unexpected);
  const progress = (line: string) => io.progress(redact(line, report.secrets));
  try {
    await run(options, { ...io, progress, clock }, report);
    report.verdict = "verified";
    report.exitCode = exitCodes.verified;
  } catch (err) {
    ({ exitCode: report.exitCode, error: report.error } = reportedFailure(err));
  }
  report.timings.totalMs = clock.now() - started;
  return scrubReport(report);
}

async function run(options: VerifyOptions, io: VerifyIO & { clock: Clock }, report: VerifyReport): Promise<void> {
  const { clock } = io;
  const inputs = await loadInputs(options, io, report);
  if (inputs.privateKeyPem !== undefined) report.secrets.push(inputs.privateKeyPem);
  if (options.caFile) inputs.caPem = readCa(options.caFile);
  report.inputs = describeInputs(inputs, options);

  const t0 = clock.now();
  // From here: reading the files (a PFX's key derivation, bounded by pfx.ts maxPfxIterations) is not what
  // --timeout waits for, and must not leave it spent before the vault is asked or the first token attempt.
  const deadline = t0 + options.timeoutSeconds * 1000;
  const pre = preflight(inputs, options.warnDays, new Date(clock.now()));
  report.preflight = pre.checks;
  report.warnings.push(...pre.warnings);
  const { keyVault } = inputs;
  if (keyVault) {
    const vaultChecks = await prepareVaultSigning({
      inputs: { ...inputs, keyVault },
      preflight: pre,
      credential: io.vaultCredential,
      deadline,
      clock,
      backoff: io.backoff,
      onWait: io.progress,
      secrets: report.secrets,
    }).finally(() => {
      report.timings.preflightMs = clock.now() - t0;
    });
    report.preflight = [...pre.checks, ...vaultChecks];
  }
  report.timings.preflightMs = clock.now() - t0;

  const t1 = clock.now();
  const acquired = await acquire({
    inputs,
    preflight: pre,
    thumbprint: options.thumbprint,
    deadline,
    missingRoles: (token) => missingRoles(token, inputs.expectedRoles),
    onWait: io.progress,
    backoff: io.backoff,
    clock,
    attempts: report.attempts,
    onSecret: (assertion) => report.secrets.push(assertion),
  }).finally(() => {
    report.timings.acquireMs = clock.now() - t1;
  });
  report.secrets.push(acquired.accessToken);

  const t2 = clock.now();
  const jwks = await fetchJwks(inputs, acquired.jwksUri).catch((err: Error) => {
    throw new TokenCheckError(
      `cannot fetch the authority's signing keys to check the token (${err.name}${"code" in err ? ` ${String(err.code)}` : ""})`,
    );
  });
  const checks = await checkToken(acquired.accessToken, inputs, jwks, new Date(clock.now()));
  report.checks = checks;
  report.timings.checkMs = clock.now() - t2;
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0)
    throw new TokenCheckError(`token check failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
}

async function loadInputs(options: VerifyOptions, io: VerifyIO, report: VerifyReport): Promise<ClientInputs> {
  const secrets = report.secrets;
  // With Key Vault signing, --certificate holds the certificate alone; which mode it is depends on the outputs.
  const certificateFor = async (outputs?: unknown) => {
    if (!options.certificate) return undefined;
    const certificate = await readCertificateFile(
      options.certificate,
      "--certificate",
      certificatePassword(options, io.env, secrets),
      vaultMode(options, outputs) ? "certificate only" : "certificate and key",
    );
    report.warnings.push(...(certificate.notes ?? []));
    return certificate;
  };
  if (options.outputs !== undefined) {
    const text = options.outputs === "-" ? await io.readStdin() : readText(options.outputs, "--outputs");
    const what = options.outputs === "-" ? "--outputs - (stdin)" : `--outputs${quotedPath(options.outputs)}`;
    if (!text.trim()) throw new InputError(`${what} is empty: pipe in \`pulumi stack output --json --show-secrets\``);
    const outputs = clientOutputs(parseJson(text, what), options);
    return fromStackOutputs(outputs, options, "outputs", await certificateFor(outputs));
  }
  if (options.stack !== undefined) {
    // Loaded only here: the Automation API pulls in the whole Pulumi SDK, which
    // would otherwise dominate verify's start-up time.
    const { stackOutputs } = await import("./stack.js");
    const outputs = clientOutputs(await stackOutputs(options.stack, options.cwd ?? process.cwd()), options);
    return fromStackOutputs(outputs, options, "stack", await certificateFor(outputs));
  }
  const given = await certificateFor();
  const fromFile = given ?? (await environmentCertificate(options, io.env, secrets));
  if (!given) report.warnings.push(...(fromFile.notes ?? []));
  return fromEnvironment(io.env, options, fromFile);
}

/** AZURE_CLIENT_CERTIFICATE_PATH: PEM (certificate and key) or PFX with AZURE_CLIENT_CERTIFICATE_PASSWORD. */
async function environmentCertificate(
  options: VerifyOptions,
  env: NodeJS.ProcessEnv,
  secrets: string[],
): Promise<ClientCertificate> {
  need(env, "AZURE_TENANT_ID");
  need(env, "AZURE_CLIENT_ID");
  const path = need(env, "AZURE_CLIENT_CERTIFICATE_PATH");
  return readCertificateFile(
    path,
    "AZURE_CLIENT_CERTIFICATE_PATH",
    certificatePassword(options, env, secrets),
    vaultMode(options) ? "certificate only" : "certificate and key",
  );
}

/**
 * The password of a PFX (or an encrypted PEM key): from the variable
 * --certificate-password-env names, else AZURE_CLIENT_CERTIFICATE_PASSWORD,
 * else none. Only ever passed on, and remembered as a secret to scrub.
 */
function certificatePassword(options: VerifyOptions, env: NodeJS.ProcessEnv, secrets: string[]): string {
  const name = options.certificatePasswordEnv ?? "AZURE_CLIENT_CERTIFICATE_PASSWORD";
  const password = env[name];
  // The name is not echoed: a password typed in its place must not be printed.
  if (options.certificatePasswordEnv !== undefined && password === undefined)
    throw new InputError("the variable named by --certificate-password-env is not set");
  if (password) secrets.push(password);
  return password ?? "";
}

/**
 * The CA for the authority host, checked before any network call: it must
 * hold at least one X.509 certificate and no private key (a key there is a
 * mistake, and would be one more secret in transit).
 */
function readCa(path: string): string {
  const text = readText(path, "--ca-file");
  const blocks = pemBlocks(text);
  if (blocks.some((b) => /PRIVATE KEY$/.test(pemLabel(b) ?? "")))
    throw new InputError("--ca-file holds a private key: give the CA's certificate (PEM) only");
  const certificates = blocks.filter((b) => pemLabel(b) === "CERTIFICATE");
  if (certificates.length === 0 || !certificates.every(isCertificate))
    throw new InputError(
      "--ca-file holds no certificate: give the PEM certificate of the CA that issued the authority's TLS certificate",
    );
  return text;
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
    assertion: `${options.thumbprint === "sha256" ? "PS256 with x5t#S256" : "RS256 with x5t"}${inputs.keyVault ? ", signed by Key Vault" : ""}`,
    caFile: options.caFile === undefined ? undefined : isQuotablePath(options.caFile) ? options.caFile : "[given]",
    certificate: options.certificate ? "from --certificate" : "from inputs",
    privateKey: inputs.keyVault ? "in Key Vault" : "[redacted]",
    keyVaultKeyId: inputs.keyVault?.key.id,
  };
}
