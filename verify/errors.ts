import { CliError, failureOf } from "../common/errors";

/** Exit codes, the contract with pipelines. */
export const exitCodes = {
  verified: 0,
  unexpected: 1,
  badInput: 2,
  preflight: 3,
  authentication: 4,
  tokenCheck: 5,
  timeout: 6,
  /** --check-expiry: an attached certificate ends within --within-days (not an error: the check itself worked). */
  expiring: 9,
} as const;

export type VerifyErrorCode =
  | "ERR_BAD_INPUT"
  | "ERR_PREFLIGHT"
  | "ERR_AUTHENTICATION"
  | "ERR_TOKEN_CHECK"
  | "ERR_TIMEOUT";

/**
 * A failure of one kind, with a stable code and its exit code. Messages are
 * one line, say what is wrong and what to do, and never hold a secret.
 */
export abstract class VerifyError extends CliError {
  declare readonly code: VerifyErrorCode;
}

/** Arguments, files or stack outputs that are missing or malformed. */
export class InputError extends VerifyError {
  constructor(message: string) {
    super("ERR_BAD_INPUT", exitCodes.badInput, message);
  }
}

/** Inputs that are well-formed but cannot work: mismatched key, expired certificate, wrong thumbprint or password. */
export class PreflightError extends VerifyError {
  constructor(message: string) {
    super("ERR_PREFLIGHT", exitCodes.preflight, message);
  }
}

/** The authority refused to issue a token, or cannot be trusted, for a reason that waiting will not fix. */
export class AuthenticationError extends VerifyError {
  constructor(
    message: string,
    readonly aadsts?: number,
  ) {
    super("ERR_AUTHENTICATION", exitCodes.authentication, message);
  }
}

/** A token came back but does not say what it should. */
export class TokenCheckError extends VerifyError {
  constructor(message: string) {
    super("ERR_TOKEN_CHECK", exitCodes.tokenCheck, message);
  }
}

/** The deadline passed while waiting for something transient. */
export class DeadlineError extends VerifyError {
  constructor(message: string) {
    super("ERR_TIMEOUT", exitCodes.timeout, message);
  }
}

/**
 * What a report says about an error that ended a run: a VerifyError's exit code, code and message on one line;
 * anything else exits `unexpected` and is named by its kind only, since its message may hold anything.
 */
export function reportedFailure(err: unknown): { exitCode: number; error: { code: string; message: string } } {
  const { exitCode, code, message } = failureOf(err);
  return { exitCode, error: { code, message } };
}
