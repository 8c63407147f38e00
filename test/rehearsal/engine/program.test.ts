import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalEntra } from "../../../entra/server";
import type { EngineRun, StepEvent } from "../../../rehearsal/engine";
import { startEntra } from "../../support/entra";
import { deployer, opsOf, projectRoot, run, tempDir, transpileOnlyByDefault, typeChecked } from "./support";

transpileOnlyByDefault();

// The project's own index.ts, against the local Entra ID started in this process (its PKI made once per file).
let entra: LocalEntra & { statePath: string };
const dirs: string[] = [];
beforeAll(async () => {
  entra = await startEntra();
});
afterAll(async () => {
  await entra.stop();
  rmSync(join(entra.statePath, ".."), { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stack(config: Record<string, string> = {}): Omit<EngineRun, "onEvent" | "dryRun"> {
  const stateDir = tempDir("state");
  dirs.push(stateDir);
  return {
    root: projectRoot,
    project: "entra-cert-auth",
    stack: "dev",
    organization: "organization",
    config: { "entra-cert-auth:authorityHost": entra.authorityHost, ...config },
    secretKeys: [],
    stateDir,
    providers: {
      entra: {
        authorityHost: entra.authorityHost,
        caPem: entra.caPem,
        tenantId: entra.tenantId,
        adminKey: adminKeyOf(entra),
      },
      deployer,
    },
  };
}

/** Contract 2's admin key, once the local Entra ID has one (the entra branch); any value before. */
function adminKeyOf(e: object): string {
  return "adminKey" in e && typeof e.adminKey === "string" ? e.adminKey : "no-admin-key-yet";
}

const appsNamed = (name: string) => entra.admin.state.applications.filter((a) => a.displayName === name);

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

  it("a changed rotation adds a new key, certificate and credential before the old key and certificate go", async () => {
    const name = "engine-rotation";
    const base = stack({ "entra-cert-auth:displayName": name, "entra-cert-auth:rotation": "1" });
    const first = await run({ ...base, dryRun: false });
    const credentialsDuring: string[] = [];
    const afterStep = async (step: StepEvent) => {
      if (step.type.endsWith("ApplicationCertificate"))
        credentialsDuring.push(`${step.op}:${appsNamed(name)[0]?.keyCredentials.length}`);
    };
    const config = { ...base.config, "entra-cert-auth:rotation": "2" };
    const preview = await run({ ...base, config, dryRun: true });
    const planned = [
      "create:client-key",
      "create:client-cert",
      "create:client-credential",
      "delete:client-cert",
      "delete:client-key",
    ];
    expect(changes(preview.steps)).toEqual(planned);
    const rotated = await run({ ...base, config, dryRun: false, afterStep });
    expect(changes(rotated.steps)).toEqual(planned);
    // The previous credential stays attached while the new one is added: one, then two.
    expect(credentialsDuring).toEqual(["same:1", "create:2"]);
    expect(appsNamed(name)[0]?.keyCredentials).toHaveLength(2);
    expect(rotated.outputs.clientId).toBe(first.outputs.clientId);
    expect(rotated.outputs.thumbprint).not.toBe(first.outputs.thumbprint);
    expect(rotated.outputs.attachedCertificates).toHaveLength(2);
  });

  it("honours ignoreChanges: certificate settings wait for the next rotation instead of replacing", async () => {
    const name = "engine-ignore";
    const base = stack({ "entra-cert-auth:displayName": name });
    const first = await run({ ...base, dryRun: false });
    const config = { ...base.config, "entra-cert-auth:validityDays": "100" };
    const again = await run({ ...base, config, dryRun: false });
    expect(changes(again.steps)).toEqual([]);
    expect(again.outputs.thumbprint).toBe(first.outputs.thumbprint);
    expect(again.outputs.keyId).toBe(first.outputs.keyId);
  });
});

/** Steps other than same and read, names without the generation suffix. */
function changes(steps: StepEvent[]): string[] {
  return opsOf(steps)
    .filter((s) => !s.startsWith("same:") && !s.startsWith("read:"))
    .map((s) => s.replace(/-[0-9a-f]{12}$/, ""));
}
