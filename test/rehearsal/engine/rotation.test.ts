import { describe, expect, it } from "vitest";
import type { StepEvent } from "../../../rehearsal/engine";
import { projectOnLocalEntra } from "./project";
import { opsOf, run, transpileOnlyByDefault } from "./support";

transpileOnlyByDefault();
const { stack, appsNamed } = projectOnLocalEntra();

describe("the project's program on the local engine, across rotations", { timeout: 120_000 }, () => {
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
