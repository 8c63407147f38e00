import { rmSync } from "node:fs";

const tracked: string[] = [];

/** Remembers a temporary folder (they hold keys) for removal after the test file that made it. */
export function track(dir: string): string {
  tracked.push(dir);
  return dir;
}

/** Removes every folder tracked so far; the per-file setup (test/support/perFile.ts) calls it after each file. */
export function removeTracked(): void {
  for (const dir of tracked.splice(0)) rmSync(dir, { recursive: true, force: true });
}
