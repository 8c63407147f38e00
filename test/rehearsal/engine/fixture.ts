import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { fixtureProject, offlineProviders, tempDir } from "./support";

/*
 * Fixture programs for the engine tests, split over two files so that the two workers run them side by side: the
 * one-start error cases in fixtures.test.ts, the chain of runs on one stack in state.test.ts.
 */

const dirs: string[] = [];
/** Removes the fixture folders made so far (they hold keys). */
export const removeFixtures = (): void => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
};
/** Removes the file's fixture folders after each test; call once at a test file's top. */
export const cleanFixturesAfterEach = () => afterEach(removeFixtures);

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
    ...offlineProviders(),
  };
  return { dir, root, stateDir, base };
}

/*
 * A RandomPassword without @pulumi/random: the same type token the package registers. Config: `count` passwords
 * (each after the first keeps the previous one's length), `length`, a `trigger` (replacementTrigger of pw0) and
 * `dbr` (deleteBeforeReplace). Besides: an optional `token` exported as a secret, `previous` = the token this stack
 * saved last, read through a StackReference to itself, and the optional secret `pin` printed by the program.
 * One program for all of the state tests, so that they can share one stack (state.test.ts says why).
 */
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
const given = config.get("token");
export const token = given === undefined ? undefined : pulumi.secret(given);
const self = new pulumi.StackReference(\`\${pulumi.getOrganization()}/\${pulumi.getProject()}/\${pulumi.getStack()}\`);
export const previous = self.getOutput("token");
config.getSecret("pin")?.apply((v) => console.log("the pin is " + v));
`;
