import { CliError } from "../common/errors";

/** Exit codes the rehearsal adds to verify's own (0 verified, 2-6). */
export const exitCodes = {
  input: 2,
  folder: 2,
  deploymentFailed: 7,
  rotationGap: 8,
  interrupted: 130,
} as const;

export type RehearsalErrorCode =
  | "ERR_REHEARSAL_INPUT"
  | "ERR_STACK_CONFIG"
  | "ERR_FOLDER_FOREIGN"
  | "ERR_FOLDER_UNUSABLE"
  | "ERR_FOLDER_LOCKED"
  | "ERR_FOLDER_PORT"
  | "ERR_PROJECT_ROOT"
  | "ERR_DEPLOYMENT"
  | "ERR_INTERRUPTED";

/** Any failure the rehearsal reports itself: a one-line message with the fix, and the exit code. */
export class RehearsalError extends CliError {
  constructor(code: RehearsalErrorCode, message: string, exitCode: number) {
    super(code, exitCode, message);
  }
}

/** Bad arguments or config: nothing has started. */
export class RehearsalInputError extends RehearsalError {
  constructor(message: string, code: "ERR_REHEARSAL_INPUT" | "ERR_STACK_CONFIG" = "ERR_REHEARSAL_INPUT") {
    super(code, message, exitCodes.input);
  }
}

/** The folder cannot be used: someone else's, locked by a live run, or unusable. */
export class FolderError extends RehearsalError {
  constructor(
    code: "ERR_FOLDER_FOREIGN" | "ERR_FOLDER_UNUSABLE" | "ERR_FOLDER_LOCKED" | "ERR_FOLDER_PORT",
    message: string,
  ) {
    super(code, message, exitCodes.folder);
  }
}

/**
 * An update failed part way: what it created before the failure is in the checkpoint, and the next run diffs
 * against it. A failed preview changed nothing and is the user's input to fix (exit 2, same code), not this.
 */
export class DeploymentError extends RehearsalError {
  constructor(message: string) {
    super("ERR_DEPLOYMENT", message, exitCodes.deploymentFailed);
  }
}
