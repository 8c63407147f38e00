import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { afterEach, describe, expect, it } from "vitest";
import { CheckpointError } from "../../../rehearsal/engine";
import { loadCheckpoint, saveCheckpoint } from "../../../rehearsal/engine/checkpoint";
import { Deployment, markSecrets } from "../../../rehearsal/engine/deployment";
import { ignoreChanges, parsePath } from "../../../rehearsal/engine/ignoreChanges";
import { decide, deleteOrder, shouldTriggerReplace, urnOf } from "../../../rehearsal/engine/steps";
import {
  decode,
  encode,
  fromStruct,
  Secret,
  specialSecretSig,
  specialSigKey,
  toStruct,
  Unknown,
  unknownSentinel,
} from "../../../rehearsal/engine/wire";
import { tempDir } from "./support";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the wire adapter", () => {
  it("uses the SDK's own signatures for secrets and unknowns", () => {
    expect(specialSigKey).toBe(rpc.specialSigKey);
    expect(specialSecretSig).toBe(rpc.specialSecretSig);
    expect(unknownSentinel).toBe(rpc.unknownValue);
  });

  it("round-trips secrets and unknowns through a protobuf Struct", () => {
    const m = { a: new Secret("s"), b: Unknown.value, c: [1, { d: new Secret(true) }], e: null };
    const back = fromStruct(toStruct(m));
    expect(back.a).toBeInstanceOf(Secret);
    expect(back.b).toBe(Unknown.value);
    assert(back.c !== undefined, "the struct keeps the nested list");
    expect(encode(back.c)).toEqual([1, { d: { [specialSigKey]: specialSecretSig, value: true } }]);
  });

  it("reads the SDK's output values: no value is unknown, secret stays secret", () => {
    const sig = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
    expect(decode({ [specialSigKey]: sig })).toBe(Unknown.value);
    expect(decode({ [specialSigKey]: sig, value: "x", secret: true })).toEqual(new Secret("x"));
  });

  it("refuses assets and resource references by name", () => {
    expect(() => decode({ [specialSigKey]: "c44067f5952c0a294b673a41bacd8c17" })).toThrow(/asset/);
  });
});

describe("step rules", () => {
  it("a trigger replaces only when present on both sides and different", () => {
    expect(shouldTriggerReplace(undefined, "1")).toBe(false);
    expect(shouldTriggerReplace("1", undefined)).toBe(false);
    expect(shouldTriggerReplace("1", "1")).toBe(false);
    expect(shouldTriggerReplace("1", new Secret("1"))).toBe(false);
    expect(shouldTriggerReplace("1", "2")).toBe(true);
    expect(shouldTriggerReplace("1", Unknown.value)).toBe(true);
  });

  it("a trigger that is null on either side is no trigger: it first appears, or goes away, and replaces nothing", () => {
    // pulumi/pulumi step_generator.go checks IsNull() on both sides: a null is an absent trigger, not a value.
    expect(shouldTriggerReplace(null, "1")).toBe(false);
    expect(shouldTriggerReplace("1", null)).toBe(false);
    expect(shouldTriggerReplace(null, Unknown.value)).toBe(false);
  });

  it("the trigger wins over the diff; replace keys over changed keys", () => {
    expect(decide(false, undefined, false)).toEqual({ op: "create" });
    // No prior state creates whatever the diff says; prior state without a diff (nothing to compare) creates too.
    expect(decide(false, { changed: ["a"], replace: [] }, true)).toEqual({ op: "create" });
    expect(decide(true, undefined, false)).toEqual({ op: "create" });
    expect(decide(true, { changed: [], replace: [] }, true)).toEqual({ op: "replace", keys: ["replacementTrigger"] });
    expect(decide(true, { changed: ["a", "b"], replace: ["b"] }, false)).toEqual({ op: "replace", keys: ["b"] });
    expect(decide(true, { changed: ["a"], replace: [] }, false)).toEqual({ op: "update", keys: ["a"] });
    expect(decide(true, { changed: [], replace: [] }, false)).toEqual({ op: "same" });
  });

  it("URNs qualify a child's type with its parent's, except under the stack", () => {
    const stackUrn = urnOf("dev", "p", "", "pulumi:pulumi:Stack", "p-dev");
    expect(stackUrn).toBe("urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev");
    const comp = urnOf("dev", "p", stackUrn, "p:index:C", "c");
    expect(comp).toBe("urn:pulumi:dev::p::p:index:C::c");
    expect(urnOf("dev", "p", comp, "tls:index/privateKey:PrivateKey", "k")).toBe(
      "urn:pulumi:dev::p::p:index:C$tls:index/privateKey:PrivateKey::k",
    );
  });

  it("deletes dependents before what they depend on", () => {
    const a = { urn: "a", dependencies: [], parent: "" };
    const b = { urn: "b", dependencies: ["a"], parent: "" };
    const c = { urn: "c", dependencies: [], parent: "b" };
    expect(deleteOrder([a, b, c]).map((x) => x.urn)).toEqual(["c", "b", "a"]);
    expect(deleteOrder([c, b, a]).map((x) => x.urn)).toEqual(["c", "b", "a"]);
  });

  it("deletes resources that do not depend on each other newest first", () => {
    const free = (urn: string) => ({ urn, dependencies: [], parent: "" });
    expect(deleteOrder([free("a"), free("b"), free("c")]).map((x) => x.urn)).toEqual(["c", "b", "a"]);
  });

  it("a resource listing itself as a dependency does not hold up its own deletion", () => {
    const older = { urn: "older", dependencies: [], parent: "" };
    const self = { urn: "self", dependencies: ["self"], parent: "" };
    expect(deleteOrder([older, self]).map((x) => x.urn)).toEqual(["self", "older"]);
  });

  it("outputs are secret by schema, by request, or when their input was", () => {
    const out = markSecrets({ a: "1", b: "2", c: "3", d: "4" }, { c: new Secret("3") }, ["a", "b"]);
    expect(Object.entries(out).flatMap(([k, v]) => (v instanceof Secret ? [k] : []))).toEqual(["a", "b", "c"]);
  });
});

describe("ignoreChanges, as step_generator.go processIgnoreChanges and PropertyPath.Reset apply it", () => {
  it("keeps the old value at each path, and drops the path from the new inputs where the old inputs have none", () => {
    const olds = { algorithm: "RSA", subject: { commonName: "a" } };
    const news = { algorithm: "ECDSA", rsaBits: 4096, subject: { commonName: "b", organization: "o" } };
    const { inputs, invalid } = ignoreChanges(news, olds, ["algorithm", "rsaBits", "subject.organization"]);
    expect(invalid).toEqual([]);
    expect(inputs).toEqual({ algorithm: "RSA", subject: { commonName: "b" } });
    // The program's registration is not changed.
    expect(news.rsaBits).toBe(4096);
  });

  it("follows list indexes without changing a list's length, and names a path whose middle is missing", () => {
    const { inputs } = ignoreChanges({ roles: ["x", "y"] }, { roles: ["a"] }, ["roles[0]", "roles[1]"]);
    expect(inputs).toEqual({ roles: ["a", "y"] });
    expect(ignoreChanges({}, { api: { v: 2 } }, ["api.v"]).invalid).toEqual(["api.v"]);
    expect(ignoreChanges({}, {}, ["api.v"]).invalid).toEqual([]);
    expect(parsePath('tags["a.b"][2].c')).toEqual(["tags", "a.b", 2, "c"]);
  });

  it("a resource whose old inputs lack an ignored input is diffed without it", async () => {
    const steps: string[] = [];
    const seen: Record<string, unknown>[] = [];
    const provider = {
      secretOutputs: [],
      check: (news: Record<string, never>) => {
        seen.push({ ...news });
        return news;
      },
      diff: () => ({ changed: [], replace: [] }),
      create: async () => ({ id: "1", outputs: {} }),
      delete: async () => {},
    };
    const urn = "urn:pulumi:dev::p::t:index:T::r";
    const deployment = new Deployment({
      project: "p",
      stack: "dev",
      dryRun: true,
      providers: { resources: { "t:index:T": provider }, reads: {}, invokes: {} },
      prior: {
        resources: [
          {
            urn,
            type: "t:index:T",
            name: "r",
            custom: true,
            id: "1",
            parent: "",
            inputs: { a: 1 },
            outputs: {},
            dependencies: [],
          },
        ],
      },
      save: () => {},
      onStep: (s) => steps.push(s.op),
    });
    await deployment.register({
      type: "t:index:T",
      name: "r",
      parent: "",
      custom: true,
      inputs: { a: 2, b: 3 },
      dependencies: [],
      deleteBeforeReplace: false,
      additionalSecretOutputs: [],
      ignoreChanges: ["a", "b"],
      replaceOnChanges: [],
    });
    expect(seen).toEqual([{ a: 1 }]);
    expect(steps).toEqual(["same"]);
  });
});

describe("the checkpoint", () => {
  const entry = (outputs: Record<string, unknown>) => ({
    urn: "urn:pulumi:dev::p::t::n",
    type: "t",
    name: "n",
    custom: true,
    id: "1",
    parent: "",
    inputs: {},
    outputs: outputs as Record<string, string | Secret>,
    dependencies: [],
  });

  it("stores secrets as AES-GCM ciphertext and reads them back as secrets", () => {
    const dir = tempDir("cp");
    dirs.push(dir);
    saveCheckpoint(dir, { resources: [entry({ plain: "visible", hidden: new Secret("s3cr3t-value") })] });
    const text = readFileSync(join(dir, "checkpoint.json"), "utf8");
    expect(text).toContain("visible");
    expect(text).not.toContain("s3cr3t-value");
    const [resource] = loadCheckpoint(dir).resources;
    assert(resource, "the checkpoint holds the saved resource");
    const back = resource.outputs;
    expect(back.hidden).toEqual(new Secret("s3cr3t-value"));
  });

  it("a checkpoint with secrets and no key, or another key, is refused with a typed error", () => {
    const dir = tempDir("cp");
    dirs.push(dir);
    saveCheckpoint(dir, { resources: [entry({ hidden: new Secret("x") })] });
    writeFileSync(join(dir, "checkpoint.key"), `${Buffer.alloc(32, 7).toString("base64")}\n`);
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
    rmSync(join(dir, "checkpoint.key"));
    expect(() => loadCheckpoint(dir)).toThrow(/key .* is missing/);
  });

  it("no checkpoint is an empty stack; a corrupt one is refused", () => {
    const dir = tempDir("cp");
    dirs.push(dir);
    expect(loadCheckpoint(dir)).toEqual({ resources: [] });
    expect(existsSync(join(dir, "checkpoint.key"))).toBe(false);
    writeFileSync(join(dir, "checkpoint.json"), "{not json");
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
  });
});
