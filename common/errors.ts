/**
 * The base of every typed error a CLI maps to a message and an exit code
 * (jose style: a stable string `code`, `name` set to the class name).
 * Messages are one line, say what is wrong and what to do, and never quote
 * a value unless its shape is known to be safe (a GUID, a hex thumbprint, an
 * https URL).
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command line that cannot be run: unknown flag, missing or malformed value. Exit code 2 in every CLI. */
export class ArgumentError extends CliError {
  constructor(message: string) {
    super("ERR_BAD_INPUT", 2, message);
  }
}
