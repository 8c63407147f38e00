import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

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

/**
 * A temporary folder for one test file (or describe block): its path at once, the folder itself made in a
 * beforeAll and removed in an afterAll. A run whose -t filter skips every test of the file runs neither hook, so
 * it leaves nothing behind, where a folder made while the file is collected would stay. Call it before the file
 * registers hooks of its own that use the folder.
 */
export function fileTempDir(prefix: string): string {
  const dir = join(tmpdir(), `${prefix}${randomUUID()}`);
  beforeAll(() => mkdirSync(dir, { mode: 0o700 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
