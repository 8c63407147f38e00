import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import { EOL } from "node:os";

/**
 * Appends step outputs to the GITHUB_OUTPUT file in the runner's heredoc
 * form, with a random delimiter as actions/toolkit writes them
 * (packages/core/src/file-command.ts, prepareKeyValueMessage), so a value
 * can never end the block early.
 */
export function writeOutputs(file: string, outputs: Record<string, string>): void {
  let text = "";
  for (const [name, value] of Object.entries(outputs)) {
    const delimiter = `ghadelimiter_${randomUUID()}`;
    text += `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
  }
  appendFileSync(file, text, "utf8");
}
