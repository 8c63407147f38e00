import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { makeKeys } from "./keysSetup";

/**
 * Once per `vitest run`, before any test file: compile to dist/, so tests
 * that spawn a CLI run the JavaScript that `npm run verify`, `npm run entra`
 * and `npm start` run (tsc build mode: about 0.2 s when nothing changed),
 * and make the RSA keys the test certificates use, in parallel, instead of
 * each file generating its own synchronously.
 */
export default async function setup(project: TestProject): Promise<void> {
  const root = join(__dirname, "..", "..");
  const keys = makeKeys();
  execFileSync(process.execPath, [join(root, "scripts", "build.js")], {
    cwd: root,
    stdio: "inherit",
  });
  project.provide("rsaKeys", await keys);
}
