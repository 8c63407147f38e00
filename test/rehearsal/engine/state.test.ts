import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortedError } from "../../../rehearsal/engine";
import { cleanFixturesAfterEach, passwords, setup } from "./fixture";
import { opsOf, run, transpileOnlyByDefault } from "./support";

transpileOnlyByDefault();
cleanFixturesAfterEach();

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
