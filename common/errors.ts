import { oneLine } from "./safe";

/**
 * The base of every typed error in the project, as panva/jose's `JOSEError`
 * (src/util/errors.ts) is the base of jose's: a stable string `code` on the
 * class (`static code`, to match without an instance) and on every instance,
 * and `name` set to the class's name. A subclass with one code sets
 * `static override readonly code`; the instance's `code` is read from it. An
 * error a service answers (Key Vault, Graph, Entra ID's OAuth errors) carries
 * the service's own code, which is what goes on the wire.
 *
 * Messages are one line, say what is wrong and what to do, and never quote a
 * value unless its shape is known to be safe (a GUID, a hex thumbprint, an
 * https URL).
 *
 * @example
 * if (err instanceof CodedError && err.code === ConfigError.code) ...
 */
export class CodedError extends Error {
  /** The code of every error of this class; a subclass with a code of its own overrides it. */
  static readonly code: string = "ERR_GENERIC";
  /** Stable and machine-readable: what callers and tests match on, never the message. */
  readonly code: string = (this.constructor as typeof CodedError).code;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error a CLI maps to one message line and its exit code (common/cli.ts `runCommand`). */
export class CliError extends CodedError {
  constructor(
    override readonly code: string,
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A command line that cannot be run: unknown flag, missing or malformed value. Exit code 2 in every CLI. */
export class ArgumentError extends CliError {
  static override readonly code = "ERR_BAD_INPUT";
  constructor(message: string) {
    super(ArgumentError.code, 2, message);
  }
}

/**
 * The message of anything thrown. Only for errors whose message is known to
 * be safe to show; an unexpected error is named by its kind (`failureOf`),
 * since its message may hold anything.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a command's edge reports of a failure: a code, the exit code and one line. */
export interface Failure {
  code: string;
  exitCode: number;
  message: string;
}

/** An error no check expected, named by its kind only: its message may carry anything, a secret included. */
export const unexpected = (err: unknown): string => `unexpected ${err instanceof Error ? err.name : typeof err}`;

/** The failure every CLI and the Action report: a CliError's code, exit code and message on one line, else exit 1. */
export function failureOf(err: unknown): Failure {
  if (err instanceof CliError) return { code: err.code, exitCode: err.exitCode, message: oneLine(err.message) };
  return { code: "ERR_UNEXPECTED", exitCode: 1, message: unexpected(err) };
}
