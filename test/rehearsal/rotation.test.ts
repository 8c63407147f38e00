import { describe, expect, it } from "vitest";
import type { StepEvent } from "../../rehearsal/engine";
import type { Holder } from "../../rehearsal/probe";
import { rotationProber } from "../../rehearsal/rotation";

/**
 * The rotation prober with a scripted directory: which certificates it tries
 * at each step, from the outputs the engine hands to afterStep, and when it
 * records a gap. The real probes against the local Entra ID are in
 * rehearsal.test.ts (--rotate).
 */
const before = {
  tenantId: "t",
  clientId: "c",
  scope: "api://x/.default",
  certificatePem: "OLD CERT",
  privateKeyPem: "OLD KEY",
};
const entra = { authorityHost: "https://localhost:1", caPem: "CA" };
const step = (op: StepEvent["op"], type: string, name: string): StepEvent => ({
  op,
  type,
  name,
  urn: `urn:${name}`,
  dryRun: false,
});
const key = "tls:index/privateKey:PrivateKey";
const cert = "tls:index/selfSignedCert:SelfSignedCert";
const credential = "azuread:index/applicationCertificate:ApplicationCertificate";

/** A directory where each certificate is accepted while `accepts` says so; records what each probe tried. */
function directory(accepts: (h: Holder) => boolean) {
  const tried: string[][] = [];
  return {
    tried,
    probe: async (_: unknown, holders: Holder[]) => {
      tried.push(holders.map((h) => `${h.label}:${h.certificatePem}`));
      return holders.map((h) => ({
        label: h.label,
        accepted: accepts(h),
        reason: accepts(h) ? "accepted" : "AADSTS700027",
      }));
    },
  };
}

async function rotate(accepts: (h: Holder, attached: Set<string>) => boolean, removeOld: boolean) {
  const attached = new Set(["OLD CERT"]);
  const dir = directory((h) => accepts(h, attached));
  const lines: string[] = [];
  const prober = rotationProber(before, entra, (l) => lines.push(l), dir.probe);
  await prober.probe("before the update");
  await prober.afterStep(step("create", key, "client-key-2"), { privateKeyPem: "NEW KEY" });
  await prober.afterStep(step("create", cert, "client-cert-2"), { certPem: "NEW CERT" });
  attached.add("NEW CERT");
  await prober.afterStep(step("create", credential, "client-credential-2"), { value: "NEW CERT" });
  await prober.afterStep(step("same", credential, "client-credential-1"), {});
  if (removeOld) {
    attached.delete("OLD CERT");
    await prober.afterStep(step("delete", credential, "client-credential-1"), { value: "OLD CERT" });
  }
  // The old key and certificate go: their last outputs must not be taken for the new ones.
  await prober.afterStep(step("delete", cert, "client-cert-1"), { certPem: "OLD CERT" });
  await prober.afterStep(step("delete", key, "client-key-1"), { privateKeyPem: "OLD KEY" });
  return { tried: dir.tried, lines, gaps: prober.gaps };
}

describe("--rotate probes the old and the new certificate at every step", () => {
  it("from the moment the new key and certificate exist, every probe tries both, and same steps are not probed", async () => {
    const { tried, gaps } = await rotate((h, attached) => attached.has(h.certificatePem), false);
    expect(tried).toEqual([
      ["previous certificate:OLD CERT"],
      // Only the new key exists: there is no new certificate to try yet.
      ["previous certificate:OLD CERT"],
      ["previous certificate:OLD CERT", "new certificate:NEW CERT"],
      ["previous certificate:OLD CERT", "new certificate:NEW CERT"],
      ["previous certificate:OLD CERT", "new certificate:NEW CERT"],
      ["previous certificate:OLD CERT", "new certificate:NEW CERT"],
    ]);
    expect(gaps).toEqual([]);
  });

  it("prints which one is accepted at each step, naming the step", async () => {
    const { lines } = await rotate((h, attached) => attached.has(h.certificatePem), true);
    expect(lines).toContain(
      "  probe after create of client-credential-2: previous certificate accepted, new certificate accepted",
    );
    expect(lines).toContain(
      "  probe after delete of client-credential-1: previous certificate refused (AADSTS700027), new certificate accepted",
    );
  });

  it("a moment where neither is accepted is a gap, named by its step (exit 8 in the rehearsal)", async () => {
    // A propagation delay: the new credential is not usable yet when the old one is removed.
    const { gaps } = await rotate(
      (h, attached) => attached.has(h.certificatePem) && h.certificatePem === "OLD CERT",
      true,
    );
    expect(gaps).toEqual([
      "after delete of client-credential-1",
      "after delete of client-cert-1",
      "after delete of client-key-1",
    ]);
  });
});
