import { CodedError } from "../common/errors";

/**
 * Thrown before any resource is registered when the configuration cannot
 * work. Each problem is one line that names the setting and the fix.
 */
export class ConfigError extends CodedError {
  static override readonly code = "ERR_CONFIG_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}
