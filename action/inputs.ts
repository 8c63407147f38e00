import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ArgumentError } from "../common/errors";
import { toOptions, type VerifyOptions } from "../verify/options";

/** The environment variable the Action hands the certificate password to verify in (in-process only). */
export const passwordVariable = "ENTRA_CERT_AUTH_CERTIFICATE_PASSWORD";

/** What the Action was asked to do, from its inputs. */
export interface ActionInputs {
  options: VerifyOptions;
  /** The stack whose outputs `pulumi stack output` reads, when no outputs-file is given. */
  stack?: string;
  workingDirectory: string;
  certificatePassword?: string;
  reportFile: string;
}

/**
 * An input as the runner passes it: `INPUT_` and the name in upper case with
 * spaces as underscores, dashes kept (INPUT_OUTPUTS-FILE); trimmed, and empty
 * meaning not given, as actions/toolkit's getInput reads it.
 */
export function input(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`]?.trim();
  return value ? value : undefined;
}

/** Each verify flag and the Action input that carries it, to name inputs in verify's messages. */
const inputOfFlag: Record<string, string> = {
  "--outputs": "outputs-file",
  "--stack": "stack",
  "--cwd": "working-directory",
  "--certificate": "certificate-file",
  "--certificate-password-env": "certificate-password",
  "--key-vault-key-id": "key-vault-key-id",
  "--scope": "scope",
  "--expected-roles": "expected-roles",
  "--api-client-id": "api-client-id",
  "--authority-host": "authority-host",
  "--ca-file": "ca-file",
  "--thumbprint": "thumbprint",
  "--timeout": "timeout",
  "--warn-days": "warn-days",
  "--check-expiry": "check-expiry",
  "--within-days": "within-days",
};

/** verify's message with its flags named as the Action's inputs (`--timeout` becomes `input timeout`). */
export function inInputTerms(message: string): string {
  return message
    .replace("--outputs - (stdin)", "the stack's outputs (pulumi stack output)")
    .replace(/--[a-z-]+(?![a-z-])/g, (flag) => (inputOfFlag[flag] ? `input ${inputOfFlag[flag]}` : flag));
}

/**
 * The Action's inputs as verify's options, checked by verify's own rules; a
 * bad value is an ArgumentError naming the input (never quoting its value).
 */
export function actionInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const get = (name: string) => input(env, name);
  const workingDirectory = pathOf(env, get("working-directory") ?? ".");
  const path = (name: string) => {
    const value = get(name);
    return value === undefined ? undefined : pathOf(env, value);
  };
  const outputsFile = path("outputs-file");
  const stack = get("stack");
  if (outputsFile !== undefined && stack !== undefined)
    throw new ArgumentError("inputs outputs-file and stack both given: choose one source of outputs");
  if (outputsFile === undefined && stack === undefined)
    throw new ArgumentError(
      "give input outputs-file (the JSON of `pulumi stack output --json --show-secrets`) or stack (with the Pulumi CLI on PATH)",
    );
  const checkExpiry = boolean(get("check-expiry"), "check-expiry");
  const certificatePassword = get("certificate-password");
  try {
    const options = toOptions({
      // A stack's outputs are read by the Action (the Pulumi CLI, not the Automation API) and handed over as stdin.
      outputs: outputsFile ?? "-",
      certificate: path("certificate-file"),
      "certificate-password-env": certificatePassword === undefined ? undefined : passwordVariable,
      "key-vault-key-id": get("key-vault-key-id"),
      scope: get("scope"),
      "expected-roles": get("expected-roles"),
      "api-client-id": get("api-client-id"),
      "authority-host": get("authority-host"),
      "ca-file": path("ca-file"),
      thumbprint: get("thumbprint") ?? "sha256",
      timeout: get("timeout") ?? "300",
      "warn-days": get("warn-days") ?? "30",
      "check-expiry": checkExpiry,
      "within-days": checkExpiry ? (get("within-days") ?? "30") : undefined,
      "all-clients": false,
    });
    return { options, stack, workingDirectory, certificatePassword, reportFile: reportFileOf(env) };
  } catch (err) {
    if (err instanceof ArgumentError) throw new ArgumentError(inInputTerms(err.message));
    throw err;
  }
}

/** A YAML 1.2 core schema boolean, as actions/toolkit's getBooleanInput accepts it. */
function boolean(value: string | undefined, name: string): boolean {
  if (value === undefined) return false;
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new ArgumentError(`input ${name} must be true or false`);
}

/** A path input: relative paths are the workspace's, as a `run:` step in it would read them (on every runner OS). */
export const pathOf = (env: NodeJS.ProcessEnv, path: string): string =>
  isAbsolute(path) ? path : resolve(env.GITHUB_WORKSPACE || process.cwd(), path);

/** Where the JSON report goes: input report-file, else the runner's temporary folder (removed after the job). */
export const reportFileOf = (env: NodeJS.ProcessEnv): string => {
  const given = input(env, "report-file");
  return given ? pathOf(env, given) : join(env.RUNNER_TEMP || tmpdir(), "entra-cert-auth-verify.json");
};
