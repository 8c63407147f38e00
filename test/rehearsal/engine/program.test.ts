import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectOnLocalEntra } from "./project";
import { opsOf, run, transpileOnlyByDefault, typeChecked } from "./support";

transpileOnlyByDefault();
const { stack, appsNamed } = projectOnLocalEntra();

describe("the project's program on the local engine", { timeout: 120_000 }, () => {
  it("a preview on a new stack plans every create, creates nothing and writes nothing", async () => {
    // The one run of the project's own program that Pulumi's ts-node type-checks, as `pulumi preview` does.
    typeChecked();
    const name = "engine-preview";
    const base = stack({ "entra-cert-auth:displayName": name });
    const preview = await run({ ...base, dryRun: true });
    expect(opsOf(preview.steps)).toContain("create:client-app");
    expect(preview.steps.every((s) => s.op === "create" || s.op === "read")).toBe(true);
    expect(preview.outputs.clientId).toBeUndefined();
    expect(appsNamed(name)).toHaveLength(0);
    expect(() => readFileSync(join(base.stateDir, "checkpoint.json"))).toThrow();
  });

  it("a second run is all same with the same ids, and a preview after it leaves the checkpoint byte-identical", async () => {
    const name = "engine-twice";
    const base = stack({ "entra-cert-auth:displayName": name });
    const first = await run({ ...base, dryRun: false });
    expect(first.secretOutputNames).toContain("privateKeyPem");
    expect(String(first.outputs.privateKeyPem)).toContain("PRIVATE KEY");
    const checkpoint = readFileSync(join(base.stateDir, "checkpoint.json"));
    expect(checkpoint.toString()).not.toContain("PRIVATE KEY");
    const second = await run({ ...base, dryRun: false });
    expect(second.steps.every((s) => s.op === "same" || s.op === "read")).toBe(true);
    expect(second.outputs.clientId).toBe(first.outputs.clientId);
    expect(second.outputs.tenantId).toBe(first.outputs.tenantId);
    expect(second.secretOutputNames).toContain("privateKeyPem");
    const saved = readFileSync(join(base.stateDir, "checkpoint.json"));
    await run({ ...base, dryRun: true });
    expect(readFileSync(join(base.stateDir, "checkpoint.json")).equals(saved)).toBe(true);
    expect(appsNamed(name)).toHaveLength(1);
    expect(second.timings.total).toBeGreaterThan(0);
  });
});
