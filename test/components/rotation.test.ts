import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CertificateApp, type CertificateAppArgs } from "../../components/certificateApp";
import type { ConfigError } from "../../components/errors";
import { type RotationState, rotationDigest } from "../../components/rotation";
import { oneKeyCertificates } from "../support/certificates";
import type { StateEntry, Step } from "../support/mockEngine/engine";
import {
  capturingRejections,
  type EngineOptions,
  installEngine,
  newDirectory,
  ofType,
  outputsOf,
  promiseOf,
  types,
} from "../support/program";

const day = 86_400_000;
// One key for every hand-made certificate in this file, from the run's pool; generated ones come from the
// engine's keys.
const { holder, certificate } = oneKeyCertificates();

interface Deployment {
  checkpoint: StateEntry[];
  outputs: Record<string, unknown>;
  steps: Step[];
}

type Directory = ReturnType<typeof newDirectory>;

/**
 * One `pulumi up` of a CertificateApp against the previous deployment's checkpoint and outputs. After every
 * step it checks that the application never holds the same certificate twice.
 */
async function up(
  admin: Directory,
  args: CertificateAppArgs,
  before?: Deployment,
  engine: Pick<EngineOptions, "secretOutputs" | "now"> = {},
): Promise<Deployment> {
  const steps: Step[] = [];
  const env = installEngine({
    ...engine,
    admin,
    previous: before?.checkpoint,
    outputs: before?.outputs,
    onStep: (step) => {
      steps.push(step);
      for (const app of admin.state.applications) {
        const thumbprints = app.keyCredentials.map((k) => k.customKeyIdentifier);
        expect(new Set(thumbprints).size, `${step.op} ${step.name}`).toBe(thumbprints.length);
      }
    },
  });
  const app = new CertificateApp("rot", args);
  const outputs = await outputsOf({
    clientId: app.clientId,
    certificatePem: app.certificatePem,
    privateKeyPem: app.privateKeyPem,
    thumbprint: app.thumbprint,
    keyId: app.keyId,
    attachedCertificates: app.attachedCertificates,
    rotationState: app.rotationState,
  });
  const checkpoint = await env.engine.finish();
  return { checkpoint, outputs, steps };
}

/** Thumbprints of the certificates the directory holds for the deployed client app, sorted. */
function attachedInDirectory(admin: Directory, d: Deployment): string[] {
  const app = admin.state.applications.find((a) => a.appId === d.outputs.clientId);
  return (app?.keyCredentials.map((k) => k.customKeyIdentifier ?? "") ?? []).sort();
}

const listed = (d: Deployment) => (d.outputs.attachedCertificates as { thumbprint: string }[]).map((c) => c.thumbprint);
const credentialSteps = (d: Deployment) =>
  d.steps.filter((s) => s.type === types.certificate).map((s) => `${s.op} ${s.name}`);

describe("one-step rotation with overlap", () => {
  it("keeps the previous certificate attached after a rotation, and drops the oldest at the next", async () => {
    const admin = newDirectory();
    const first = await up(admin, { rotation: "1" });
    const second = await up(admin, { rotation: "2" }, first);
    expect(second.outputs.certificatePem).not.toBe(first.outputs.certificatePem);
    expect(listed(second)).toEqual([second.outputs.thumbprint, first.outputs.thumbprint]);
    expect(attachedInDirectory(admin, second)).toEqual([first.outputs.thumbprint, second.outputs.thumbprint].sort());

    const third = await up(admin, { rotation: "3" }, second);
    expect(listed(third)).toEqual([third.outputs.thumbprint, second.outputs.thumbprint]);
    expect(attachedInDirectory(admin, third)).toEqual([second.outputs.thumbprint, third.outputs.thumbprint].sort());
    // The new credential is attached before the oldest is removed, and the kept one is untouched.
    const ops = credentialSteps(third).map((o) => o.split(" ")[0]);
    expect([...ops].sort()).toEqual(["create", "delete", "same"]);
    expect(ops.indexOf("create")).toBeLessThan(ops.indexOf("delete"));
  });

  it("changes nothing when nothing changed, also while a previous certificate is kept", async () => {
    const admin = newDirectory();
    const first = await up(admin, { rotation: "1" });
    const again = await up(admin, { rotation: "1" }, first);
    expect(new Set(again.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    const rotated = await up(admin, { rotation: "2" }, again);
    const after = await up(admin, { rotation: "2", displayName: "renamed" }, rotated);
    expect(listed(after)).toEqual(listed(rotated));
    expect(credentialSteps(after).every((s) => s.startsWith("same"))).toBe(true);
  });

  it("applies a new key size at the next rotation, never by replacing the current key in place", async () => {
    const admin = newDirectory();
    const first = await up(admin, { rotation: "1" });
    const resized = await up(admin, { rotation: "1", keySize: 3072 }, first);
    expect(resized.outputs.certificatePem).toBe(first.outputs.certificatePem);
    expect(new Set(resized.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    const rotated = await up(admin, { rotation: "2", keySize: 3072 }, resized);
    const bits = new X509Certificate(String(rotated.outputs.certificatePem)).publicKey.asymmetricKeyDetails
      ?.modulusLength;
    expect(bits).toBe(3072);
    expect(listed(rotated)).toEqual([rotated.outputs.thumbprint, first.outputs.thumbprint]);
  });

  it("makes a new certificate when rotation goes back to an earlier value", async () => {
    const admin = newDirectory();
    const one = await up(admin, { rotation: "1" });
    const two = await up(admin, { rotation: "2" }, one);
    const back = await up(admin, { rotation: "1" }, two);
    expect([one.outputs.thumbprint, two.outputs.thumbprint]).not.toContain(back.outputs.thumbprint);
    expect(listed(back)).toEqual([back.outputs.thumbprint, two.outputs.thumbprint]);
  });

  it("never attaches the same certificate twice through generated and brought certificates in any order", async () => {
    const admin = newDirectory();
    const brought = {
      certificatePem: await certificate(new Date(Date.now() + 30 * day)),
      privateKeyPem: (await holder).privateKeyPem,
    };
    const byoThumbprint = new X509Certificate(brought.certificatePem).fingerprint.replaceAll(":", "");
    const a = await up(admin, { rotation: "1" });
    const b = await up(admin, brought, a);
    expect(listed(b)).toEqual([byoThumbprint, a.outputs.thumbprint]);
    const c = await up(admin, brought, b);
    expect(credentialSteps(c).every((s) => s.startsWith("same"))).toBe(true);
    const d = await up(admin, { rotation: "5" }, c);
    expect(listed(d)).toEqual([d.outputs.thumbprint, byoThumbprint]);
    // The brought certificate comes back while it is still the previous one: its credential is kept.
    const e = await up(admin, brought, d);
    expect(listed(e)).toEqual([byoThumbprint, d.outputs.thumbprint]);
    expect(credentialSteps(e).filter((s) => s.startsWith("create"))).toEqual([]);
    expect(attachedInDirectory(admin, e)).toEqual([byoThumbprint, String(d.outputs.thumbprint)].sort());
  });

  it("keeps the credential when the generated certificate is brought back as config, however its PEM is written", async () => {
    const admin = newDirectory();
    const generated = await up(admin, { rotation: "1" });
    const rewritten = String(generated.outputs.certificatePem).replaceAll("\n", "\r\n");
    const brought = await up(
      admin,
      { certificatePem: rewritten, privateKeyPem: String(generated.outputs.privateKeyPem) },
      generated,
    );
    expect(credentialSteps(brought).every((s) => s.startsWith("same"))).toBe(true);
    expect(listed(brought)).toEqual([generated.outputs.thumbprint]);
    expect(attachedInDirectory(admin, brought)).toEqual([generated.outputs.thumbprint]);
    // Generating again, even with the same rotation value, is a rotation with overlap.
    const again = await up(admin, { rotation: "1" }, brought);
    expect(listed(again)).toEqual([again.outputs.thumbprint, generated.outputs.thumbprint]);
  });

  it("keeps the credential of a stack deployed before generations existed as the previous certificate", async () => {
    const admin = newDirectory();
    const old = await up(admin, { rotation: "1" });
    // What the earlier program left: key, certificate and credential named without a generation, and no
    // rotationState output.
    const unsuffixed = (entry: StateEntry) => {
      const name = entry.name.replace(/^(rot-(?:key|cert|credential))-\w+$/, "$1");
      return { ...entry, name, urn: entry.urn.replace(/::[^:]+$/, `::${name}`) };
    };
    const legacy: Deployment = {
      steps: [],
      outputs: { certificatePem: old.outputs.certificatePem, clientId: old.outputs.clientId },
      checkpoint: old.checkpoint.map(unsuffixed),
    };
    const upgraded = await up(admin, { rotation: "1" }, legacy);
    expect(credentialSteps(upgraded)).toContain("same rot-credential");
    expect(listed(upgraded)).toEqual([upgraded.outputs.thumbprint, old.outputs.thumbprint]);
    expect(attachedInDirectory(admin, upgraded)).toHaveLength(2);
  });
});

describe("a stack whose previous outputs cannot be read as before", () => {
  const withOutputs = (d: Deployment, outputs: Record<string, unknown>): Deployment => ({ ...d, outputs });

  /** Two generations attached (rotation 1, then 2), as a stack is after its first rotation. */
  const rotated = async (admin: Directory) => up(admin, { rotation: "2" }, await up(admin, { rotation: "1" }));

  it("stops before planning anything when the outputs show a deployed app but no rotation memory", async () => {
    const admin = newDirectory();
    const before = await rotated(admin);
    // What the engine reads after state surgery kept clientId but lost the rest.
    const lost = withOutputs(before, { clientId: before.outputs.clientId });
    const env = installEngine({ admin, previous: lost.checkpoint, outputs: lost.outputs });
    const { result } = await capturingRejections(env.engine, () =>
      promiseOf(new CertificateApp("rot", { rotation: "2" }).certificatePem).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    const { code, problems } = result as ConfigError;
    expect(code).toBe("ERR_CONFIG_INVALID");
    expect(problems.join("\n")).toMatch(/clientId but neither rotationState nor certificatePem/);
    expect(problems.join("\n")).toMatch(/restore the stack's outputs.*allowRotationReset true/);
    expect(ofType(env.engine, types.certificate)).toEqual([]);
    expect(attachedInDirectory(admin, before)).toHaveLength(2);
  });

  it("starts a new generation when allowRotationReset accepts it, removing the forgotten credentials at the end", async () => {
    const admin = newDirectory();
    const before = await rotated(admin);
    const lost = withOutputs(before, { clientId: before.outputs.clientId });
    const reset = await up(admin, { rotation: "2", allowRotationReset: true }, lost);
    expect(reset.outputs.thumbprint).not.toBe(before.outputs.thumbprint);
    expect(credentialSteps(reset).map((s) => s.split(" ")[0])).toEqual(["create", "delete", "delete"]);
    expect(attachedInDirectory(admin, reset)).toEqual([reset.outputs.thumbprint]);
  });

  it("cannot tell outputs that were lost entirely from a new stack: it starts over (the limit the README states)", async () => {
    const admin = newDirectory();
    const before = await rotated(admin);
    const blank = await up(admin, { rotation: "2" }, withOutputs(before, {}));
    expect(credentialSteps(blank).map((s) => s.split(" ")[0])).toEqual(["create", "delete", "delete"]);
  });

  it("reads rotationState, certificatePem and clientId that come back as secrets, and changes nothing", async () => {
    const admin = newDirectory();
    const first = await up(admin, { rotation: "1" });
    const second = await up(admin, { rotation: "2" }, first);
    const secretOutputs = ["rotationState", "certificatePem", "clientId", "privateKeyPem"];
    const again = await up(admin, { rotation: "2" }, second, { secretOutputs });
    expect(new Set(again.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect(listed(again)).toEqual(listed(second));
  });

  it("keeps a generation whose rotationState holds the rotation value as text, and writes it back as a digest", async () => {
    const admin = newDirectory();
    const first = await up(admin, { rotation: "2026-11" });
    const state = first.outputs.rotationState as RotationState;
    const legacy = withOutputs(first, {
      ...first.outputs,
      rotationState: { current: { ...state.current, rotation: "2026-11" } },
    });
    const again = await up(admin, { rotation: "2026-11" }, legacy);
    expect(new Set(again.steps.map((s) => s.op))).toEqual(new Set(["same"]));
    expect((again.outputs.rotationState as RotationState).current.rotation).toBe(rotationDigest("2026-11"));
    expect(JSON.stringify(again.outputs.rotationState)).not.toContain("2026-11");
  });
});

describe("a generated certificate at its end", () => {
  it("is replaced by the tls provider's plan once its end has passed, even with earlyRenewalHours 0", async () => {
    // The provider's clock runs ahead of the program's: the program still sees a valid certificate.
    const admin = newDirectory();
    const first = await up(admin, { rotation: "1", validityDays: 1 });
    const later = () => new Date(Date.now() + 2 * day);
    const second = await up(admin, { rotation: "1", validityDays: 1 }, first, { now: later });
    expect(second.steps.filter((s) => s.type === types.selfSignedCert).map((s) => s.op)).toEqual(["replace", "delete"]);
    // Which replaces the current credential inside one update: the old one goes at its end, with no overlap.
    expect(credentialSteps(second).map((s) => s.split(" ")[0])).toEqual(["replace", "delete"]);
  });

  it("makes a new generation in the program, so the provider is never asked to renew it in place", async () => {
    const admin = newDirectory();
    // Made 366 days ago by the provider's clock: expired now by the program's.
    const first = await up(admin, { rotation: "1" }, undefined, { now: () => new Date(Date.now() - 366 * day) });
    const second = await up(admin, { rotation: "1" }, first);
    const tlsSteps = second.steps.filter((s) => s.type === types.selfSignedCert || s.type === types.privateKey);
    expect(tlsSteps.map((s) => s.op).sort()).toEqual(["create", "create", "delete", "delete"]);
    expect(second.outputs.thumbprint).not.toBe(first.outputs.thumbprint);
    // The expired certificate authenticates nobody: it is not kept for overlap, and goes after the new one is attached.
    expect(listed(second)).toEqual([second.outputs.thumbprint]);
    const ops = credentialSteps(second).map((o) => o.split(" ")[0]);
    expect(ops).toEqual(["create", "delete"]);
  });
});
