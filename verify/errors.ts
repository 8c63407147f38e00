/** Exit codes, the contract with pipelines. */
export const exitCodes = {
  verified: 0,
  unexpected: 1,
  badInput: 2,
  preflight: 3,
  authentication: 4,
  tokenCheck: 5,
  timeout: 6,
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
export abstract class VerifyError extends Error {
  abstract readonly code: VerifyErrorCode;
  abstract readonly exitCode: number;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Arguments, files or stack outputs that are missing or malformed. */
export class InputError extends VerifyError {
  readonly code = "ERR_BAD_INPUT";
  readonly exitCode = exitCodes.badInput;
}

/** Inputs that are well-formed but cannot work: mismatched key, expired certificate, wrong thumbprint. */
export class PreflightError extends VerifyError {
  readonly code = "ERR_PREFLIGHT";
  readonly exitCode = exitCodes.preflight;
}

/** The authority refused to issue a token, for a reason that waiting will not fix. */
export class AuthenticationError extends VerifyError {
  readonly code = "ERR_AUTHENTICATION";
  readonly exitCode = exitCodes.authentication;
  constructor(
    message: string,
    readonly aadsts?: number,
  ) {
    super(message);
  }
}

/** A token came back but does not say what it should. */
export class TokenCheckError extends VerifyError {
  readonly code = "ERR_TOKEN_CHECK";
  readonly exitCode = exitCodes.tokenCheck;
}

/** The deadline passed while waiting for something transient. */
export class DeadlineError extends VerifyError {
  readonly code = "ERR_TIMEOUT";
  readonly exitCode = exitCodes.timeout;
}
