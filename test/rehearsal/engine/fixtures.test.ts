import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError, type EngineEvent, ProgramError, ResourceError, runEngine } from "../../../rehearsal/engine";
import { cleanFixturesAfterEach, setup } from "./fixture";
import { run, transpileOnlyByDefault, typeChecked } from "./support";

transpileOnlyByDefault();
cleanFixturesAfterEach();

// One program start each (~0.8 s of CPU): the sequences of runs on one stack are in state.test.ts.

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

describe("an interrupt", () => {
  it("that comes while the engine is still starting ends the run at once: the program is never left running", async () => {
    const { base } = setup(
      `import * as pulumi from "@pulumi/pulumi";\nclass Password extends pulumi.CustomResource {}\nnew Password("random:index/randomPassword:RandomPassword", "pw", { length: 8 });\n`,
    );
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const started = performance.now();
    const running = runEngine({
      ...base,
      config: {},
      dryRun: false,
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    // Aborted before runEngine's first await returns: its abort listener is not in place yet. Before the fix the
    // program ran, had its first registration refused and stalled about a minute before exiting.
    controller.abort();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(events.filter((e) => e.kind === "step")).toEqual([]);
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
