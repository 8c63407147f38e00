import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, ProgramError, ResourceError } from "../../../rehearsal/engine";
import { fixtureProject, offlineProviders, opsOf, run, tempDir, transpileOnlyByDefault, typeChecked } from "./support";

transpileOnlyByDefault();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(program: string) {
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
const passwords = `import * as pulumi from "@pulumi/pulumi";
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

describe("state across runs", () => {
  it("a preview changes nothing: the checkpoint stays byte-identical and new outputs are unknown", async () => {
    const { base, stateDir } = setup(passwords);
    await run({ ...base, config: { "fixture:count": "1" }, dryRun: false });
    const before = readFileSync(join(stateDir, "checkpoint.json"));
    const preview = await run({ ...base, config: { "fixture:count": "2", "fixture:length": "20" }, dryRun: true });
    expect(opsOf(preview.steps)).toEqual(["replace:pw0", "create:pw1"]);
    expect(preview.outputs.first).toBeUndefined();
    expect(readFileSync(join(stateDir, "checkpoint.json")).equals(before)).toBe(true);
  });

  it("deletes what the program no longer declares at the end, dependents first", async () => {
    const { base } = setup(passwords);
    await run({ ...base, config: {}, dryRun: false });
    const shrunk = await run({ ...base, config: { "fixture:count": "1" }, dryRun: false });
    expect(opsOf(shrunk.steps)).toEqual(["same:pw0", "delete:pw2", "delete:pw1"]);
    expect(shrunk.steps.filter((s) => s.op === "delete").every((s) => s.reason === "removed")).toBe(true);
  });

  it("an abort mid-deploy leaves a checkpoint of what exists, and the next run continues from it", async () => {
    const { base, stateDir } = setup(passwords);
    const controller = new AbortController();
    const error = await run({
      ...base,
      config: {},
      dryRun: false,
      signal: controller.signal,
      afterStep: async (step) => {
        if (step.name === "pw0") controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    const saved = readFileSync(join(stateDir, "checkpoint.json"), "utf8");
    expect(saved).toContain("::pw0");
    expect(saved).not.toContain("::pw2");
    const next = await run({ ...base, config: {}, dryRun: false });
    expect(opsOf(next.steps)).toEqual(["same:pw0", "create:pw1", "create:pw2"]);
  });
});

describe("StackReference", () => {
  it("reads this stack's last saved outputs, secrets still secret, as a read step", async () => {
    const { base } = setup(`import * as pulumi from "@pulumi/pulumi";
const self = new pulumi.StackReference(\`\${pulumi.getOrganization()}/\${pulumi.getProject()}/\${pulumi.getStack()}\`);
export const token = pulumi.secret(new pulumi.Config().require("token"));
export const previous = self.getOutput("token");
`);
    const first = await run({ ...base, config: { "fixture:token": "t-1" }, dryRun: false });
    expect(first.steps.filter((s) => s.op === "read").map((s) => s.type)).toEqual(["pulumi:pulumi:StackReference"]);
    expect(first.outputs.previous).toBeUndefined();
    const second = await run({ ...base, config: { "fixture:token": "t-2" }, dryRun: false });
    expect(second.outputs.previous).toBe("t-1");
    expect(second.outputs.token).toBe("t-2");
    expect(second.secretOutputNames).toEqual(expect.arrayContaining(["previous", "token"]));
  });
});

describe("secrets", () => {
  it("are encrypted in the checkpoint under a 0600 key, stay secret across runs, and are scrubbed from diagnostics", async () => {
    const { base, stateDir, root } = setup(passwords);
    writeFileSync(
      join(root, "index.ts"),
      `${passwords}\nnew pulumi.Config().requireSecret("pin").apply((v) => console.log("the pin is " + v));\n`,
    );
    const config = { "fixture:count": "1", "fixture:pin": "pin-4711-secret" };
    const secretKeys = ["fixture:pin"];
    const first = await run({ ...base, config, secretKeys, dryRun: false });
    const password = String(first.outputs.first);
    expect(password).toHaveLength(12);
    expect(first.secretOutputNames).toContain("first");
    const text = readFileSync(join(stateDir, "checkpoint.json"), "utf8");
    expect(text).not.toContain(password);
    expect(text).toContain("ciphertext");
    expect(readFileSync(join(stateDir, "checkpoint.key"), "utf8").trim()).toHaveLength(44);
    const { statSync } = await import("node:fs");
    expect(statSync(join(stateDir, "checkpoint.key")).mode & 0o777).toBe(0o600);
    const messages = first.events.flatMap((e) => (e.kind === "diagnostic" ? [e.message] : []));
    expect(messages.some((m) => m.includes("the pin is [secret]"))).toBe(true);
    expect(messages.join("\n")).not.toContain("pin-4711-secret");
    const second = await run({ ...base, config, secretKeys, dryRun: false });
    expect(second.outputs.first).toBe(password);
    expect(second.secretOutputNames).toContain("first");
  });
});
