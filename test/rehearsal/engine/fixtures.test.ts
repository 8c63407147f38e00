import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProgramError, ResourceError } from "../../../rehearsal/engine";
import { cleanFixturesAfterEach, passwords, setup } from "./fixture";
import { opsOf, run, transpileOnlyByDefault, typeChecked } from "./support";

transpileOnlyByDefault();
cleanFixturesAfterEach();

describe("the engine runs the program through Pulumi's own cmd/run", () => {
  it("reports a type error with the compiler's message, file and line, before anything is created", async () => {
    typeChecked();
    const { base, stateDir } = setup(
      `import * as pulumi from "@pulumi/pulumi";\n\nconst n: number = "not a number";\nexport const out = pulumi.output(n);\n`,
    );
    const error = await run({ ...base, config: {}, dryRun: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProgramError);
    expect((error as ProgramError).code).toBe("ERR_PROGRAM");
    expect((error as ProgramError).message).toMatch(/index\.ts\(3,7\): error TS2322/);
    const checkpoint = existsSync(join(stateDir, "checkpoint.json"))
      ? readFileSync(join(stateDir, "checkpoint.json"), "utf8")
      : "";
    expect(checkpoint).not.toContain("random:index");
  });

  it("reports a program exception with its message and where it was thrown", async () => {
    const { base } = setup(
      `import * as pulumi from "@pulumi/pulumi";\n\nthrow new Error("roles must not be empty; fix roles");\nexport const out = pulumi.output(1);\n`,
    );
    const error = await run({ ...base, config: {}, dryRun: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProgramError);
    expect(String(error)).toContain("roles must not be empty; fix roles");
    expect(String(error)).toMatch(/index\.ts:3/);
  });

  it("fails a resource type that has no provider, naming the type", async () => {
    const { base } = setup(
      `import * as pulumi from "@pulumi/pulumi";\nclass Widget extends pulumi.CustomResource {}\nnew Widget("acme:index/widget:Widget", "w", {});\n`,
    );
    const error = await run({ ...base, config: {}, dryRun: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceError);
    expect((error as ResourceError).message).toContain("acme:index/widget:Widget");
  });
});

describe("a failed step", () => {
  it("ends the deployment with the provider's error, even while the program waits on that resource", async () => {
    const { base } = setup(`import * as pulumi from "@pulumi/pulumi";
class App extends pulumi.CustomResource {
  declare readonly objectId: pulumi.Output<string>;
  constructor(name: string) {
    super("azuread:index/application:Application", name, { displayName: "x", objectId: undefined });
  }
}
class Password extends pulumi.CustomResource {}
const app = new App("app");
new Password("random:index/randomPassword:RandomPassword", "pw", { length: app.objectId.apply(() => 8) });
`);
    const error = await run({ ...base, config: {}, dryRun: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceError);
    expect(String(error)).toMatch(
      /azuread:index\/application:Application app: Graph POST \/applications could not reach/,
    );
  });
});

describe("replacementTrigger follows step_generator.go shouldTriggerReplace", () => {
  it("replaces only when the old and the new trigger are both present and differ", async () => {
    const { base } = setup(passwords);
    const up = (config: Record<string, string>) =>
      run({ ...base, config: { "fixture:count": "1", ...config }, dryRun: false });
    const first = await up({});
    expect(opsOf(first.steps)).toEqual(["create:pw0"]);
    const appears = await up({ "fixture:trigger": "a" });
    expect(opsOf(appears.steps)).toEqual(["same:pw0"]);
    expect(appears.outputs.first).toBe(first.outputs.first);
    const changes = await up({ "fixture:trigger": "b" });
    expect(opsOf(changes.steps)).toEqual(["replace:pw0", "delete:pw0"]);
    expect(changes.outputs.first).not.toBe(first.outputs.first);
    const goes = await up({});
    expect(opsOf(goes.steps)).toEqual(["same:pw0"]);
  });
});

describe("replacement order", () => {
  it("deleteBeforeReplace deletes the old resource first; the default deletes it at the end", async () => {
    const { base } = setup(passwords);
    const up = (config: Record<string, string>) =>
      run({ ...base, config: { "fixture:count": "1", ...config }, dryRun: false });
    await up({});
    const cbd = await up({ "fixture:length": "13" });
    expect(opsOf(cbd.steps)).toEqual(["replace:pw0", "delete:pw0"]);
    const dbr = await up({ "fixture:length": "14", "fixture:dbr": "true" });
    expect(opsOf(dbr.steps)).toEqual(["delete:pw0", "replace:pw0"]);
    expect(String(dbr.outputs.first)).toHaveLength(14);
  });
});
