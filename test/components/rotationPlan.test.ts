import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { thumbprints } from "../../common/thumbprint";
import { defaults, type Settings } from "../../components/defaults";
import { expiryMargin, planRotation, priorState, type RotationState, rotationDigest } from "../../components/rotation";
import { oneKeyCertificates } from "../support/certificates";

// The rotation plan on its own, no program run: which certificates stay attached (rotation.test.ts deploys them).
const day = 86_400_000;
const { certificate } = oneKeyCertificates();

describe("planRotation", () => {
  const settings = (over: Partial<Settings>): Settings => ({ ...defaults, ...over });
  const now = new Date();

  it("starts from nothing with one generation named by the rotation value", async () => {
    const plan = planRotation(undefined, settings({ rotation: "x" }), now);
    expect(plan.previous).toBeUndefined();
    expect(plan.current).toEqual({ id: expect.stringMatching(/^[0-9a-f]{12}$/), rotation: rotationDigest("x") });
    expect(planRotation(undefined, settings({ rotation: "x" }), now)).toEqual(plan);
  });

  it("renews early through the overlap once the window is reached, and not before", async () => {
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: pem } };
    const early = settings({ rotation: "1", earlyRenewalDays: 10 });
    expect(planRotation(prior, early, now).current.id).toBe("g1");
    const inWindow = planRotation(prior, early, new Date(now.getTime() + 21 * day));
    expect(inWindow.current.id).not.toBe("g1");
    expect(inWindow.previous).toEqual({ id: "g1", rotation: rotationDigest("1"), certificatePem: pem });
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
      current: { id: hash("2\ng1"), rotation: rotationDigest("2") },
      previous: { id: "g1", rotation: rotationDigest("1"), certificatePem: pem },
    });
  });

  it("keeps a generation whose certificate is not made yet as it is, and attaches nothing as previous for it", () => {
    const prior: RotationState = { current: { id: "g1", rotation: "1" } };
    expect(planRotation(prior, settings({ rotation: "1", earlyRenewalDays: 10 }), now)).toEqual({
      current: { id: "g1", rotation: rotationDigest("1") },
    });
    expect(planRotation(prior, settings({ rotation: "2" }), now).previous).toBeUndefined();
  });

  it("is due for renewal from exactly earlyRenewalDays before notAfter, and with earlyRenewalDays 0 only at its end", async () => {
    const notAfter = new Date(Math.floor(now.getTime() / 1000) * 1000 + 30 * day);
    const pem = await certificate(notAfter);
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: pem } };
    const early = settings({ rotation: "1", earlyRenewalDays: 10 });
    const windowStart = new Date(notAfter.getTime() - 10 * day);
    expect(planRotation(prior, early, windowStart).current.id).not.toBe("g1");
    expect(planRotation(prior, early, new Date(windowStart.getTime() - 1)).current.id).toBe("g1");
    expect(planRotation(prior, settings({ rotation: "1" }), new Date(notAfter.getTime() - day)).current.id).toBe("g1");
    // 0 turns early renewal off, but an expired current certificate authenticates nobody: a new generation, with overlap.
    expect(planRotation(prior, settings({ rotation: "1" }), new Date(notAfter.getTime() + day)).current.id).not.toBe(
      "g1",
    );
  });

  it("drops a previous certificate from the moment it expires, and keeps it until then", async () => {
    const notAfter = new Date(Math.floor(now.getTime() / 1000) * 1000 + day);
    const ending = await certificate(notAfter);
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: ending } };
    expect(planRotation(prior, settings({ rotation: "2" }), notAfter)).toEqual({
      current: { id: hash("2\ng1"), rotation: rotationDigest("2") },
    });
    expect(planRotation(prior, settings({ rotation: "2" }), new Date(notAfter.getTime() - 1)).previous?.id).toBe("g1");
  });

  it("brings a new certificate as a byo- generation named by its SHA-256 thumbprint, the outgoing one kept", async () => {
    const generated = await certificate(new Date(now.getTime() + 30 * day));
    const brought = await certificate(new Date(now.getTime() + 60 * day));
    const prior: RotationState = { current: { id: "g1", rotation: "1", certificatePem: generated } };
    expect(planRotation(prior, settings({ certificatePem: brought }), now)).toEqual({
      current: { id: `byo-${thumbprints(brought).sha256.slice(0, 12)}`, certificatePem: brought },
      previous: { id: "g1", rotation: rotationDigest("1"), certificatePem: generated },
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
      previous: { id: "g1", rotation: rotationDigest("1"), certificatePem: b },
    });
    expect(planRotation(prior, settings({ certificatePem: b }), now)).toEqual({
      current: { id: "g1", certificatePem: b },
      previous: { id: "g2", rotation: rotationDigest("2"), certificatePem: a },
    });
  });

  it("treats a current certificate in its last hour, or past its end, as due whatever earlyRenewalDays says", async () => {
    const pem = await certificate(new Date(now.getTime() + 2 * day));
    const prior: RotationState = { current: { id: "g1", rotation: rotationDigest("1"), certificatePem: pem } };
    const at = (ms: number) => planRotation(prior, settings({ rotation: "1" }), new Date(now.getTime() + ms));
    expect(at(2 * day - expiryMargin - 60_000).current.id).toBe("g1");
    const lastHour = at(2 * day - expiryMargin + 60_000);
    expect(lastHour.current.id).not.toBe("g1");
    expect(lastHour.previous?.id).toBe("g1");
    const expired = at(2 * day + 60_000);
    expect(expired.current.id).not.toBe("g1");
    expect(expired.previous).toBeUndefined();
  });

  it("remembers the rotation value by a digest, and still knows one kept as text", async () => {
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const plan = planRotation(undefined, settings({ rotation: "2027-01" }), now);
    expect(plan.current.rotation).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rotationDigest("2027-01")).not.toBe(rotationDigest("2027-02"));
    const text: RotationState = {
      current: { id: "g2", rotation: "2027-01" },
      previous: { id: "g1", rotation: "2026-01", certificatePem: pem },
    };
    expect(planRotation(text, settings({ rotation: "2027-01" }), now)).toEqual({
      current: { id: "g2", rotation: rotationDigest("2027-01") },
      previous: { id: "g1", rotation: rotationDigest("2026-01"), certificatePem: pem },
    });
    expect(planRotation(text, settings({ rotation: "2027-02" }), now).current.id).not.toBe("g2");
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

describe("planRotation in Key Vault mode, and the rotation memory's own rules", () => {
  const settings = (over: Partial<Settings>): Settings => ({ ...defaults, ...over });
  const now = new Date();
  // Real certificates: planning reads a kept certificate's end date.
  let PEM = "";
  let OLD = "";
  beforeAll(async () => {
    PEM = await certificate(new Date(now.getTime() + 30 * day));
    OLD = await certificate(new Date(now.getTime() + 20 * day));
  });
  const vault =
    "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-one";
  const other = vault.replace("kv-one", "kv-two");
  const held = (over: Partial<RotationState["current"]> = {}): RotationState => ({
    current: { id: "g1", rotation: rotationDigest("1"), certificatePem: PEM, keyVaultId: vault, ...over },
  });

  it("records the vault, and exportability only when asked, on a new generation made in Key Vault", () => {
    expect(planRotation(undefined, settings({ keyVaultId: vault }), now).current).toEqual({
      id: expect.any(String),
      rotation: rotationDigest("1"),
      keyVaultId: vault,
    });
    expect(planRotation(undefined, settings({ keyVaultId: vault, keyVaultExportable: true }), now).current).toEqual({
      id: expect.any(String),
      rotation: rotationDigest("1"),
      keyVaultId: vault,
      keyVaultExportable: true,
    });
  });

  it("keeps a vault generation in the same vault, whatever the id's case, and rotates on a move or a new exportability", () => {
    expect(planRotation(held(), settings({ keyVaultId: vault.toUpperCase() }), now).current.id).toBe("g1");
    expect(planRotation(held(), settings({ keyVaultId: other }), now).current.id).not.toBe("g1");
    expect(planRotation(held(), settings({ keyVaultId: "" }), now).current.id).not.toBe("g1");
    expect(planRotation(held(), settings({ keyVaultId: vault, keyVaultExportable: true }), now).current.id).not.toBe(
      "g1",
    );
    const exportable = held({ keyVaultExportable: true });
    expect(planRotation(exportable, settings({ keyVaultId: vault, keyVaultExportable: true }), now).current.id).toBe(
      "g1",
    );
    expect(planRotation(exportable, settings({ keyVaultId: vault }), now).current.id).not.toBe("g1");
    // A generation made outside Key Vault has no exportability to compare.
    const local: RotationState = { current: { id: "t1", rotation: rotationDigest("1"), certificatePem: PEM } };
    expect(planRotation(local, settings({}), now).current.id).toBe("t1");
    expect(planRotation(held(), settings({}), now).current.id).not.toBe("g1");
  });

  it("keeps the current generation whether its memory holds the rotation value as a digest or, from before, as text", () => {
    for (const rotation of [rotationDigest("7"), "7"]) {
      const prior: RotationState = { current: { id: "g7", rotation, certificatePem: PEM } };
      expect(planRotation(prior, settings({ rotation: "7" }), now)).toEqual({
        current: { id: "g7", rotation: rotationDigest("7"), certificatePem: PEM },
      });
      expect(planRotation(prior, settings({ rotation: "8" }), now).current.id).not.toBe("g7");
    }
  });

  it("remembers a rotation value as sha256: and the hex SHA-256 of the value under the program's label, never its text", () => {
    const expected = `sha256:${createHash("sha256").update("entra-cert-auth rotation\nsecret-ish").digest("hex")}`;
    expect(rotationDigest("secret-ish")).toBe(expected);
    expect(rotationDigest("a")).not.toBe(rotationDigest("b"));
  });

  it("digests a kept generation's rotation text, and only a whole digest counts as one", () => {
    const digest = rotationDigest("1");
    for (const text of ["1", `x${digest}`, `${digest}x`, "sha256:abc", `sha256:${"g".repeat(64)}`]) {
      const prior: RotationState = {
        current: { id: "g2", rotation: rotationDigest("2"), certificatePem: PEM },
        previous: { id: "g1", rotation: text, certificatePem: OLD },
      };
      expect(planRotation(prior, settings({ rotation: "2" }), now).previous?.rotation).toBe(rotationDigest(text));
    }
    const kept: RotationState = {
      current: { id: "g2", rotation: rotationDigest("2"), certificatePem: PEM },
      previous: { id: "g1", rotation: digest, certificatePem: OLD },
    };
    expect(planRotation(kept, settings({ rotation: "2" }), now).previous?.rotation).toBe(digest);
  });

  it("keeps a vault generation's vault and exportability when its certificate is brought back", async () => {
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const prior: RotationState = {
      current: {
        id: "g1",
        rotation: rotationDigest("1"),
        certificatePem: pem,
        keyVaultId: vault,
        keyVaultExportable: true,
      },
    };
    expect(planRotation(prior, settings({ certificatePem: pem }), now).current).toEqual({
      id: "g1",
      certificatePem: pem,
      keyVaultId: vault,
      keyVaultExportable: true,
    });
  });

  it("brings a certificate beside a generation that was never made, without reading a certificate it lacks", async () => {
    const pem = await certificate(new Date(now.getTime() + 30 * day));
    const prior: RotationState = { current: { id: "g0", rotation: rotationDigest("1") } };
    expect(planRotation(prior, settings({ certificatePem: pem }), now).current.id).toMatch(/^byo-/);
  });

  it("reads the vault and exportability back from the outputs only when they are of their types", () => {
    const state = (current: Record<string, unknown>) => priorState({ current }, undefined)?.current;
    expect(state({ id: "a", keyVaultId: vault, keyVaultExportable: true })).toEqual({
      id: "a",
      keyVaultId: vault,
      keyVaultExportable: true,
    });
    expect(state({ id: "a", keyVaultId: "", keyVaultExportable: "true" })).toEqual({ id: "a" });
    expect(state({ id: "a", keyVaultId: 5, keyVaultExportable: false })).toEqual({ id: "a" });
    expect(priorState("text", undefined)).toBeUndefined();
    expect(priorState({ current: "text" }, undefined)).toBeUndefined();
  });
});
