import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { CliIO } from "../../common/cli";

/** A CLI run in-process: what it printed on each channel, and its exit code. */
export interface Printed {
  code: number;
  stdout: string;
  stderr: string;
  /** What it appended to GITHUB_STEP_SUMMARY. */
  summary: string;
}

/**
 * An in-memory terminal for `runCommand`: stdout, stderr, a
 * GITHUB_STEP_SUMMARY file in a fresh folder (removed after reading), and
 * stdin from a string.
 */
export async function inProcess(
  run: (io: CliIO) => Promise<number>,
  options: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<Printed> {
  const dir = mkdtempSync(join(tmpdir(), "eca-cli-"));
  const summaryPath = join(dir, "summary.md");
  let stdout = "";
  let stderr = "";
  try {
    const code = await run({
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { GITHUB_STEP_SUMMARY: summaryPath, ...options.env },
      stdin: Readable.from([Buffer.from(options.stdin ?? "")]),
    });
    let summary = "";
    try {
      summary = readFileSync(summaryPath, "utf8");
    } catch {
      // Nothing appended.
    }
    return { code, stdout, stderr, summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The first 40-character run of a private key's base64 body found in
 * `text`, compared case-insensitively with all whitespace removed (so an
 * uppercased, re-wrapped or joined copy is found too); undefined if none.
 */
export function keyRunIn(text: string, privateKeyPem: string): string | undefined {
  const body = privateKeyPem
    .split("\n")
    .filter((l) => !l.startsWith("-----"))
    .join("")
    .replace(/\s/g, "")
    .toLowerCase();
  const haystack = text.replace(/\s/g, "").toLowerCase();
  for (let i = 0; i + 40 <= body.length; i++) {
    const run = body.slice(i, i + 40);
    if (haystack.includes(run)) return run;
  }
  return undefined;
}

/** Stops a local Entra ID started by startEntra and removes the folder it made (it holds the CA's and signing keys). */
export async function stopAndRemove(entra: { stop(): Promise<void>; statePath: string }): Promise<void> {
  await entra.stop();
  rmSync(dirname(entra.statePath), { recursive: true, force: true });
}
