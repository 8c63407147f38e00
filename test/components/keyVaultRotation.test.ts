import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CertificateApp, type CertificateAppArgs } from "../../components/certificateApp";
import type { StateEntry, Step } from "../support/mockEngine/engine";
import { type MockVaults, newVaults } from "../support/mockEngine/keyvault";
import { installEngine, newDirectory, outputsOf, types } from "../support/program";

const keyVaultId =
  "/subscriptions/3fa85f64-5717-4562-b3fc-2c963f66afa6/resourceGroups/rg-auth/providers/Microsoft.KeyVault/vaults/kv-rotation";
const otherVaultId = keyVaultId.replace("kv-rotation", "kv-other");

interface Deployment {
  checkpoint: StateEntry[];
  outputs: Record<string, unknown>;
  steps: Step[];
}

interface World {
  admin: ReturnType<typeof newDirectory>;
  vaults: MockVaults;
}

const newWorld = (): World => ({ admin: newDirectory(), vaults: newVaults() });

/** One `pulumi up` against the previous deployment, checking after every step that no certificate is attached twice. */
async function up(world: World, args: CertificateAppArgs, before?: Deployment): Promise<Deployment> {
  const steps: Step[] = [];
  const env = installEngine({
    admin: world.admin,
    vaults: world.vaults,
    previous: before?.checkpoint,
    outputs: before?.outputs,
    onStep: (step) => {
      steps.push(step);
      for (const app of world.admin.state.applications) {
        const thumbprints = app.keyCredentials.map((k) => k.customKeyIdentifier);
        expect(new Set(thumbprints).size, `${step.op} ${step.name}`).toBe(thumbprints.length);
      }
    },
  });
  const app = new CertificateApp("kvrot", args);
  const outputs = await outputsOf({
    clientId: app.clientId,
    certificatePem: app.certificatePem,
    thumbprint: app.thumbprint,
    keyVaultKeyId: app.keyVaultKeyId,
    ...(app.keyVaultSecretId ? { keyVaultSecretId: app.keyVaultSecretId } : {}),
    attachedCertificates: app.attachedCertificates,
    rotationState: app.rotationState,
  });
  const checkpoint = await env.engine.finish();
  return { checkpoint, outputs, steps };
}

const listed = (d: Deployment) => (d.outputs.attachedCertificates as { thumbprint: string }[]).map((c) => c.thumbprint);
const stepsOf = (d: Deployment, type: string) => d.steps.filter((s) => s.type === type).map((s) => `${s.op} ${s.name}`);
const attached = (world: World, d: Deployment) =>
  (world.admin.state.applications.find((a) => a.appId === d.outputs.clientId)?.keyCredentials ?? [])
    .map((k) => k.customKeyIdentifier ?? "")
    .sort();
/** Thumbprints of the certificates a vault holds, sorted. */
const inVault = (world: World, vault = "kv-rotation") =>
  [...(world.vaults.get(vault)?.values() ?? [])]
    .map((o) => new X509Certificate(o.certificatePem).fingerprint.replaceAll(":", ""))
    .sort();
const credentialOf = (d: Deployment, thumbprint: unknown) =>
  d.checkpoint.find(
    (e) =>
      e.type === types.certificate &&
      new X509Certificate(
        e.inputs.encoding === "hex"
          ? Buffer.from(String(e.inputs.value), "hex")
          : Buffer.from(String(e.inputs.value).replace(/-----[^-]+-----|\s/g, ""), "base64"),
      ).fingerprint.replaceAll(":", "") === thumbprint,
  );

describe("rotation in Key Vault mode", () => {
  it("makes a new vault certificate, keeps the previous one and its credential, and drops the oldest at the end", async () => {
    const world = newWorld();
    const first = await up(world, { keyVaultId, rotation: "1" });
    const second = await up(world, { keyVaultId, rotation: "2" }, first);
    expect(second.outputs.keyVaultKeyId).not.toBe(first.outputs.keyVaultKeyId);
    expect(listed(second)).toEqual([second.outputs.thumbprint, first.outputs.thumbprint]);
    expect(attached(world, second)).toEqual([first.outputs.thumbprint, second.outputs.thumbprint].sort());
    // The previous key stays in the vault: clients still on the first certificate can sign.
    expect(inVault(world)).toEqual([first.outputs.thumbprint, second.outputs.thumbprint].sort());
    expect(
      stepsOf(second, types.vaultCertificate)
        .map((s) => s.split(" ")[0])
        .sort(),
    ).toEqual(["create", "same"]);
    expect(credentialOf(second, first.outputs.thumbprint)?.inputs.encoding).toBe("hex");

    const third = await up(world, { keyVaultId, rotation: "3" }, second);
    expect(listed(third)).toEqual([third.outputs.thumbprint, second.outputs.thumbprint]);
    expect(attached(world, third)).toEqual([second.outputs.thumbprint, third.outputs.thumbprint].sort());
    expect(inVault(world)).toEqual([second.outputs.thumbprint, third.outputs.thumbprint].sort());
    // The new credential and certificate come before the oldest go; the kept credential is untouched.
    const ops = third.steps.map((s) => `${s.op} ${s.type}`);
    const created = ops.indexOf(`create ${types.certificate}`);
    expect(created).toBeGreaterThan(-1);
    expect(created).toBeLessThan(ops.indexOf(`delete ${types.certificate}`));
    expect(ops.indexOf(`delete ${types.certificate}`)).toBeLessThan(ops.indexOf(`delete ${types.vaultCertificate}`));
    expect(
      stepsOf(third, types.certificate)
        .map((s) => s.split(" ")[0])
        .sort(),
    ).toEqual(["create", "delete", "same"]);
  });

  it("changes nothing when nothing changed, also while a previous certificate is kept", async () => {
    const world = newWorld();
    const first = await up(world, { keyVaultId, rotation: "1" });
    const again = await up(world, { keyVaultId, rotation: "1" }, first);
    expect(new Set(again.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    const rotated = await up(world, { keyVaultId, rotation: "2" }, again);
    const steady = await up(world, { keyVaultId, rotation: "2" }, rotated);
    expect(new Set(steady.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect(listed(steady)).toEqual(listed(rotated));
  });

  it("keeps every generation's vault certificate when the project or stack is renamed: a new name would replace it in place", async () => {
    const world = newWorld();
    const first = await up(world, { keyVaultId, rotation: "1" });
    const rotated = await up(world, { keyVaultId, rotation: "2" }, first);
    // `pulumi stack rename` (or a new project name) rewrites the URNs, while the vault certificates in the state keep
    // the names they were made with, which the program now spells otherwise. A name change is ForceNew in azurerm:
    // a new certificate with a new key under the credential of the same generation, and the old keys deleted.
    const renamed = (e: StateEntry): StateEntry =>
      e.type === types.vaultCertificate
        ? {
            ...e,
            inputs: { ...e.inputs, name: `before-rename-${String(e.inputs.name)}` },
            outputs: { ...e.outputs, name: `before-rename-${String(e.outputs.name)}` },
          }
        : e;
    const before = { ...rotated, checkpoint: rotated.checkpoint.map(renamed) };
    const after = await up(world, { keyVaultId, rotation: "2" }, before);
    expect(new Set(after.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect(after.outputs.keyVaultKeyId).toBe(rotated.outputs.keyVaultKeyId);
    expect(listed(after)).toEqual(listed(rotated));
  });

  it("makes a new generation, with overlap, when keyVaultExportable changes: the current key is as exportable as the setting says", async () => {
    const world = newWorld();
    const first = await up(world, { keyVaultId, rotation: "1" });
    expect(first.outputs.keyVaultSecretId).toBeUndefined();
    const exportable = await up(world, { keyVaultId, rotation: "1", keyVaultExportable: true }, first);
    expect(
      exportable.steps
        .filter((s) => s.op === "create")
        .map((s) => s.type)
        .sort(),
    ).toEqual([types.certificate, types.vaultCertificate].sort());
    expect(exportable.steps.some((s) => s.op === "delete")).toBe(false);
    expect(exportable.outputs.keyVaultSecretId).toMatch(/\/secrets\//);
    expect(exportable.outputs.keyVaultKeyId).not.toBe(first.outputs.keyVaultKeyId);
    expect([...(world.vaults.get("kv-rotation")?.values() ?? [])].map((o) => o.exportable).sort()).toEqual([
      false,
      true,
    ]);
  });

  it("applies new key size and validity at the next rotation, never to the current certificate in place", async () => {
    const world = newWorld();
    const first = await up(world, { keyVaultId, rotation: "1" });
    const changed = { keyVaultId, keySize: 3072, validityDays: 90 };
    const later = await up(world, { ...changed, rotation: "1" }, first);
    expect(new Set(later.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect(later.outputs.keyVaultKeyId).toBe(first.outputs.keyVaultKeyId);
    const rotated = await up(world, { ...changed, rotation: "2" }, later);
    const cert = new X509Certificate(String(rotated.outputs.certificatePem));
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(89);
    expect(days).toBeLessThanOrEqual(92);
  });

  it("moves into Key Vault with overlap: the generated certificate stays attached, as PEM, until the next rotation", async () => {
    const world = newWorld();
    const local = await up(world, { rotation: "1" });
    const moved = await up(world, { keyVaultId, rotation: "1" }, local);
    expect(listed(moved)).toEqual([moved.outputs.thumbprint, local.outputs.thumbprint]);
    expect(stepsOf(moved, types.certificate).filter((s) => s.startsWith("same"))).toHaveLength(1);
    expect(credentialOf(moved, local.outputs.thumbprint)?.inputs.encoding).toBe("pem");
    // Its key and certificate leave the state with this update, as after any rotation.
    expect(moved.checkpoint.filter((e) => e.type === types.privateKey)).toEqual([]);
    const next = await up(world, { keyVaultId, rotation: "2" }, moved);
    expect(attached(world, next)).toEqual([moved.outputs.thumbprint, next.outputs.thumbprint].sort());
  });

  it("moves out of Key Vault, or to another vault, with overlap: the vault certificate stays while attached", async () => {
    const world = newWorld();
    const inFirst = await up(world, { keyVaultId, rotation: "1" });
    const inOther = await up(world, { keyVaultId: otherVaultId, rotation: "1" }, inFirst);
    expect(listed(inOther)).toEqual([inOther.outputs.thumbprint, inFirst.outputs.thumbprint]);
    expect(inVault(world)).toEqual([inFirst.outputs.thumbprint]);
    expect(inVault(world, "kv-other")).toEqual([inOther.outputs.thumbprint]);
    const out = await up(world, { rotation: "1" }, inOther);
    expect(listed(out)).toEqual([out.outputs.thumbprint, inOther.outputs.thumbprint]);
    expect(inVault(world)).toEqual([]);
    expect(inVault(world, "kv-other")).toEqual([inOther.outputs.thumbprint]);
    expect(credentialOf(out, inOther.outputs.thumbprint)?.inputs.encoding).toBe("hex");
    expect(out.outputs.keyVaultKeyId).toBeUndefined();
  });
});
