import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p` one level at a time; returns the first folder it made (undefined when `dir` was there), as
 * `mkdirSync(dir, { recursive: true })` does. Node's own recursive mkdir spins forever, silently, on a path under
 * /proc, where mkdir keeps answering ENOENT (seen on Node 20 with `/proc/nope`); here every level fails once, with
 * its cause.
 */
export function makeDir(dir: string): string | undefined {
  try {
    statSync(dir);
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const parent = dirname(dir);
  const made = parent === dir ? undefined : makeDir(parent);
  mkdirSync(dir);
  return made ?? dir;
}

/** An error of the file system in one line, `ENOENT: no such file or directory, mkdir '/proc/nope'`. */
export function fileSystemProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const first = String(e?.message ?? e).split("\n")[0] ?? "";
  return e?.code && !first.startsWith(e.code) ? `${e.code}: ${first}` : first;
}
