import { createHash, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thumbprints } from "../../common/thumbprint";
import { CertificateApp, type CertificateAppArgs } from "../../components/certificateApp";
import { defaults, type Settings } from "../../components/defaults";
import { planRotation, priorState, type RotationState } from "../../components/rotation";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "../../entra/x509";
import { makeCertificate } from "../support/certificates";
import type { StateEntry, Step } from "../support/mockEngine/engine";
import { installEngine, newDirectory, outputsOf, types } from "../support/program";

const day = 86_400_000;
// One key for every hand-made certificate in this file, from the run's pool; generated ones come from the
// engine's keys.
const holder = makeCertificate();
let serial = 0;
const certificate = async (notAfter: Date, notBefore = new Date(Date.now() - 60_000)) =>
  issueCertificate({
    key: (await holder).key,
    subject: `CN=brought ${++serial}`,
    notBefore,
    notAfter,
    keyUsages: KeyUsageFlags.digitalSignature,
    extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
  });

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
async function up(admin: Directory, args: CertificateAppArgs, before?: Deployment): Promise<Deployment> {
  const steps: Step[] = [];
  const env = installEngine({
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

describe("planRotation", () => {
  const settings = (over: Partial<Settings>): Settings => ({ ...defaults, ...over });
  const now = new Date();

  it("starts from nothing with one generation named by the rotation value", async () => {
    const plan = planRotation(undefined, settings({ rotation: "x" }), now);
    expect(plan.previous).toBeUndefined();
    expect(plan.current).toEqual({ id: expect.stringMatching(/^[0-9a-f]{12}$/), rotation: "x" });
    expect(planRotation(undefined, settings({ rotation: "x" }), now)).toEqual(plan);
  });

  it("renews early through the overlap once the window is reached, and not before", async () => {
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: pem } };
    const early = settings({ rotation: "1", earlyRenewalDays: 10 });
    expect(planRotation(prior, early, now).current.id).toBe("g1");
    const inWindow = planRotation(prior, early, new Date(now.getTime() + 21 * day));
    expect(inWindow.current.id).not.toBe("g1");
    expect(inWindow.previous).toEqual({ id: "g1", rotation: "1", certificatePem: pem });
    expect(planRotation(prior, settings({ rotation: "1" }), new Date(now.getTime() + 29 * day)).current.id).toBe("g1");
  });

  it("lets an expired previous certificate go", async () => {
    const expired = await certificate(new Date(now.getTime() - day), new Date(now.getTime() - 2 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: expired } };
    const plan = planRotation(prior, settings({ rotation: "2" }), now);
    expect(plan.previous).toBeUndefined();
  });

  const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 12);

  it("names a generation by its rotation value chained to the outgoing generation's id", async () => {
    expect(planRotation(undefined, settings({ rotation: "x" }), now).current.id).toBe(hash("x\n"));
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: pem } };
    const next = planRotation(prior, settings({ rotation: "2" }), now);
    expect(next).toEqual({
      current: { id: hash("2\ng1"), rotation: "2" },
      previous: { id: "g1", rotation: "1", certificatePem: pem },
    });
  });

  it("keeps a generation whose certificate is not made yet as it is, and attaches nothing as previous for it", () => {
    const prior: RotationState = { current: { id: "g1", rotation: "1" } };
    expect(planRotation(prior, settings({ rotation: "1", earlyRenewalDays: 10 }), now)).toEqual(prior);
    expect(planRotation(prior, settings({ rotation: "2" }), now).previous).toBeUndefined();
  });

  it("is due for renewal from exactly earlyRenewalDays before notAfter, and never with earlyRenewalDays 0", async () => {
    const notAfter = new Date(Math.floor(now.getTime() / 1000) * 1000 + 30 * day);
    const pem = await certificate(notAfter);
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: pem } };
    const early = settings({ rotation: "1", earlyRenewalDays: 10 });
    const windowStart = new Date(notAfter.getTime() - 10 * day);
    expect(planRotation(prior, early, windowStart).current.id).not.toBe("g1");
    expect(planRotation(prior, early, new Date(windowStart.getTime() - 1)).current.id).toBe("g1");
    expect(planRotation(prior, settings({ rotation: "1" }), new Date(notAfter.getTime() - day)).current.id).toBe("g1");
  });

  it("drops a previous certificate from the moment it expires, and keeps it until then", async () => {
    const notAfter = new Date(Math.floor(now.getTime() / 1000) * 1000 + day);
    const ending = await certificate(notAfter);
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: ending } };
    expect(planRotation(prior, settings({ rotation: "2" }), notAfter).previous).toBeUndefined();
    expect(planRotation(prior, settings({ rotation: "2" }), new Date(notAfter.getTime() - 1)).previous?.id).toBe("g1");
  });

  it("brings a new certificate as a byo- generation named by its SHA-256 thumbprint, the outgoing one kept", async () => {
    const generated = await certificate(new Date(now.getTime() + 30 * day));
    const brought = await certificate(new Date(now.getTime() + 60 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: generated } };
    expect(planRotation(prior, settings({ certificatePem: brought }), now)).toEqual({
      current: { id: `byo-${thumbprints(brought).sha256.slice(0, 12)}`, certificatePem: brought },
      previous: { id: "g1", rotation: "1", certificatePem: generated },
    });
    expect(planRotation(undefined, settings({ certificatePem: brought }), now).previous).toBeUndefined();
  });

  it("keeps a brought certificate in its slot: the current stays current, the previous comes back as current", async () => {
    const a = await certificate(new Date(now.getTime() + 30 * day));
    const b = await certificate(new Date(now.getTime() + 60 * day));
    const prior: RotationState = {
      current: { id: "g2", rotation: "2", certificatePem: a },
      previous: { id: "g1", rotation: "1", certificatePem: b },
    };
    // The same certificate written with CRLF line ends is the same certificate.
    expect(planRotation(prior, settings({ certificatePem: a.replaceAll("\n", "\r\n") }), now)).toEqual({
      current: { id: "g2", certificatePem: a },
      previous: { id: "g1", rotation: "1", certificatePem: b },
    });
    expect(planRotation(prior, settings({ certificatePem: b }), now)).toEqual({
      current: { id: "g1", certificatePem: b },
      previous: { id: "g2", rotation: "2", certificatePem: a },
    });
  });

  it("reads a previous generation with its certificate, and only text values of a generation", () => {
    expect(
      priorState(
        { current: { id: "a", rotation: 2, certificatePem: 3 }, previous: { id: "b", certificatePem: "P" } },
        "",
      ),
    ).toEqual({ current: { id: "a" }, previous: { id: "b", certificatePem: "P" } });
    expect(priorState(null, "")).toBeUndefined();
    expect(priorState("state", "")).toBeUndefined();
    expect(priorState({ previous: { id: "b" } }, "")).toBeUndefined();
    expect(priorState({ current: null }, "")).toBeUndefined();
    expect(priorState({ current: { id: 1 } }, "")).toBeUndefined();
    expect(priorState({ current: { id: "a" } }, "")).toEqual({ current: { id: "a" }, previous: undefined });
    expect(priorState(undefined, 42)).toBeUndefined();
  });

  it("reads the previous outputs defensively", () => {
    expect(priorState(undefined, undefined)).toBeUndefined();
    expect(priorState({ current: { nope: 1 } }, undefined)).toBeUndefined();
    expect(priorState(undefined, "PEM")).toEqual({ current: { id: "", certificatePem: "PEM" } });
    expect(priorState({ current: { id: "a", rotation: "1" }, previous: { id: "b" } }, "PEM")).toEqual({
      current: { id: "a", rotation: "1" },
      previous: undefined,
    });
  });
});
