import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { RehearsalError } from "./errors";

/**
 * The project root: the nearest folder at or above `from` holding both
 * Pulumi.yaml and package.json, as the Pulumi CLI finds Pulumi.yaml from
 * its working directory. Compiled code under dist/ cannot assume
 * `__dirname/..` (contract 1).
 */
export function findProjectRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml")) && existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new RehearsalError(
        "ERR_PROJECT_ROOT",
        `no Pulumi.yaml with a package.json at or above ${resolve(from)}; run npm start from the project`,
        2,
      );
    dir = parent;
  }
}
