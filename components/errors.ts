import { CodedError } from "../common/errors";

/**
 * Thrown before any resource is registered when the configuration cannot
 * work. Each problem is one line that names the setting and the fix.
 *
 * It is also a Pulumi `RunError` to the language host, so `pulumi preview` and
 * `pulumi up` print its problems alone, not "failed with an unhandled
 * exception" and a stack trace: `cmd/run` hides the stack of any error for
 * which `RunError.isInstance` holds, and that test is the marker property, so
 * that errors from another copy of `@pulumi/pulumi` count too
 * (pulumi/pulumi sdk/nodejs/errors.ts `RunError.isInstance`,
 * sdk/nodejs/cmd/run/run.ts `uncaughtHandler`).
 */
export class ConfigError extends CodedError {
  static override readonly code = "ERR_CONFIG_INVALID";
  /** @internal Pulumi's marker for a `RunError` (see above). */
  readonly __pulumiRunError = true;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}
