import type { CliIO } from "../../common/cli";

/** A CLI's streams in memory; `text()` gives what was written, without the final newline. */
export function capture(): CliIO & { text(): { stdout: string; stderr: string } } {
  let stdout = "";
  let stderr = "";
  return {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    stdin: (async function* () {})(),
    text: () => ({ stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") }),
  };
}
