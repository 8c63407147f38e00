import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The project (or installed package) root: the nearest folder at or above
 * `from` holding package.json. The same from the TypeScript sources and
 * from dist/, whatever the depth; in this project it also holds Pulumi.yaml.
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}
