/**
 * Thrown before any resource is registered when the configuration cannot
 * work. Each problem is one line that names the setting and the fix.
 */
export class ConfigError extends Error {
  readonly code = "ERR_CONFIG_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}
