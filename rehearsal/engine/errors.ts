import { CodedError } from "../../common/errors";

/**
 * The program failed: a type error (the compiler's message, with file and
 * line), an exception it threw, or a check it made. Nothing after the failure
 * was changed; what was done before it is in the checkpoint.
 */
export class ProgramError extends CodedError {
  static override readonly code = "ERR_PROGRAM";
  constructor(message: string) {
    super(message);
  }
}

/** A provider could not check, create, update, read or delete a resource. */
export class ResourceError extends CodedError {
  static override readonly code = "ERR_RESOURCE";
  constructor(
    /** The resource's URN, or the invoke's token. */
    readonly urn: string,
    message: string,
  ) {
    super(message);
  }
}

/** The checkpoint could not be read or written, or its key does not open it. */
export class CheckpointError extends CodedError {
  static override readonly code = "ERR_CHECKPOINT";
  constructor(message: string) {
    super(message);
  }
}

/** The run was stopped through its AbortSignal; the checkpoint holds what exists. */
export class AbortedError extends CodedError {
  static override readonly code = "ERR_ABORTED";
  constructor() {
    super("the deployment was interrupted; the checkpoint records what exists, run again to continue");
  }
}

export type EngineError = ProgramError | ResourceError | CheckpointError | AbortedError;
