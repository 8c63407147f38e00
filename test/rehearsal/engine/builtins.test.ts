import { describe, expect, it } from "vitest";
import { builtinReads, parseStackName, stackReference } from "../../../rehearsal/engine/builtins";
import { ProviderError } from "../../../rehearsal/engine/provider";
import { Secret } from "../../../rehearsal/engine/wire";

describe("the builtin StackReference", () => {
  const own = { a: "1", b: new Secret("2") };
  const reader = stackReference((ref) => ((ref.project ?? "p") === "p" && ref.stack === "dev" ? own : undefined));

  it("returns the stack's saved outputs with their secret names, and refuses other stacks", async () => {
    const read = await reader.read("organization/p/dev", { name: "organization/p/dev" });
    expect(read.outputs.secretOutputNames).toEqual(["b"]);
    expect(read.outputs.outputs).toEqual({ a: "1", b: new Secret("2") });
    await expect(reader.read("x", { name: "organization/other/dev" })).rejects.toThrow(ProviderError);
  });

  it.each(["dev", "organization/dev", "organization/p/dev"])(
    "reads %s as the DIY backend's project layout does",
    async (name) => {
      expect((await reader.read(name, { name })).outputs.outputs).toEqual(own);
    },
  );

  it.each([
    ["p/dev", /organization name must be 'organization'/],
    ["acme/p/dev", /organization name must be 'organization'/],
    ["organization/p/dev/x", /could not parse/],
    ["", /must not be empty/],
    ["organization/p/dev env", /may only contain/],
  ])("refuses %j as the DIY backend does", async (name, message) => {
    await expect(reader.read(name, { name })).rejects.toThrow(message);
  });

  it("parses names into project and stack", () => {
    expect(parseStackName("dev")).toEqual({ stack: "dev" });
    expect(parseStackName("organization/p/dev")).toEqual({ project: "p", stack: "dev" });
  });
});

describe("the engine's builtins", () => {
  it("read StackReference by its type token, as pulumi/pulumi pkg/resource/deploy/builtins.go does", async () => {
    const reads = builtinReads(() => ({ a: "1" }));
    expect(Object.keys(reads)).toEqual(["pulumi:pulumi:StackReference"]);
    const read = await reads["pulumi:pulumi:StackReference"]?.read("dev", { name: "dev" });
    expect(read?.outputs.outputs).toEqual({ a: "1" });
  });
});
