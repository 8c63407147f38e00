import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { fixtureProject, offlineProviders, tempDir } from "./support";

/*
 * Fixture programs for the engine tests, split over two files so that the two workers run them side by side.
 */

const dirs: string[] = [];
/** Removes the file's fixture folders after each test (they hold keys); call once at a test file's top. */
export const cleanFixturesAfterEach = () =>
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

export function setup(program: string) {
  const dir = tempDir("fixture");
  dirs.push(dir);
  const root = fixtureProject(dir, program);
  const stateDir = join(dir, "state");
  const base = {
    root,
    project: "fixture",
    stack: "dev",
    organization: "organization",
    secretKeys: [],
    stateDir,
    providers: offlineProviders,
  };
  return { dir, root, stateDir, base };
}

// A RandomPassword without @pulumi/random: the same type token the package registers.
export const passwords = `import * as pulumi from "@pulumi/pulumi";
const config = new pulumi.Config();
const trigger = config.get("trigger");
const length = config.getNumber("length") ?? 12;
const count = config.getNumber("count") ?? 3;
const dbr = config.getBoolean("dbr") ?? false;
class Password extends pulumi.CustomResource {
  declare readonly result: pulumi.Output<string>;
  constructor(name: string, args: { length: pulumi.Input<number>; keepers?: pulumi.Input<Record<string, pulumi.Input<string>>> }, opts?: pulumi.CustomResourceOptions) {
    super("random:index/randomPassword:RandomPassword", name, { ...args, result: undefined }, { ...opts, additionalSecretOutputs: ["result"] });
  }
}
const made: Password[] = [];
for (let i = 0; i < count; i++) {
  const keepers = i === 0 ? undefined : { previous: made[i - 1].result.apply((r) => String(r.length)) };
  made.push(new Password(\`pw\${i}\`, { length, keepers }, i === 0 && trigger !== undefined ? { replacementTrigger: trigger, deleteBeforeReplace: dbr } : { deleteBeforeReplace: dbr }));
}
export const first = made[0].result;
export const count_ = count;
`;
