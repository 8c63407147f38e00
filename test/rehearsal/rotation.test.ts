import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { StepEvent } from "../../rehearsal/engine";
import type { Holder } from "../../rehearsal/probe";
import { clientsProber, rotationProber } from "../../rehearsal/rotation";
import { sharedCertificate } from "../support/certificates";

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

/** Two clients whose names start alike and a third the update removes, each with its own certificate and key. */
const clientsBefore = {
  orders: { ...before, clientId: "c-orders", certificatePem: "ORDERS OLD", privateKeyPem: "ORDERS OLD KEY" },
  "orders-eu": { ...before, clientId: "c-orders-eu", certificatePem: "EU OLD", privateKeyPem: "EU OLD KEY" },
  billing: { ...before, clientId: "c-billing", certificatePem: "BILLING OLD", privateKeyPem: "BILLING OLD KEY" },
};

/** A directory that accepts a client's certificate while it is attached to that client; records who tried what. */
function clientsDirectory(attached: Map<string, Set<string>>) {
  const tried: string[] = [];
  return {
    tried,
    probe: async (target: { clientId: string }, holders: Holder[]) =>
      holders.map((h) => {
        tried.push(`${target.clientId}:${h.certificatePem}:${h.privateKeyPem}`);
        const accepted = attached.get(target.clientId)?.has(h.certificatePem) === true;
        return { label: h.label, accepted, reason: accepted ? "accepted" : "AADSTS700027" };
      }),
  };
}

describe("an update of a clients map probes every client that stays", () => {
  const attachedAtStart = () =>
    new Map([
      ["c-orders", new Set(["ORDERS OLD"])],
      ["c-orders-eu", new Set(["EU OLD"])],
      ["c-billing", new Set(["BILLING OLD"])],
    ]);

  it("gives a new key and certificate to the client that made them, even when another client's name starts with its own", async () => {
    const attached = attachedAtStart();
    const dir = clientsDirectory(attached);
    const prober = clientsProber(clientsBefore, ["orders", "orders-eu"], entra, () => undefined, dir.probe);
    await prober.afterStep(step("create", key, "orders-eu-key-2"), { privateKeyPem: "EU NEW KEY" });
    await prober.afterStep(step("create", cert, "orders-eu-cert-2"), { certPem: "EU NEW" });
    dir.tried.length = 0;
    await prober.afterStep(step("create", credential, "orders-eu-credential-2"), {});
    expect(dir.tried.sort()).toEqual([
      "c-orders-eu:EU NEW:EU NEW KEY",
      "c-orders-eu:EU OLD:EU OLD KEY",
      "c-orders:ORDERS OLD:ORDERS OLD KEY",
    ]);
  });

  it("does not try the removed client during the update, and after it reports whether it is still accepted", async () => {
    const attached = attachedAtStart();
    const dir = clientsDirectory(attached);
    const lines: string[] = [];
    const prober = clientsProber(clientsBefore, ["orders", "orders-eu"], entra, (l) => lines.push(l), dir.probe);
    expect(prober.removed).toEqual(["billing"]);
    await prober.afterStep(step("delete", credential, "billing-credential-1"), {});
    expect(dir.tried.some((t) => t.startsWith("c-billing"))).toBe(false);
    expect(await prober.probeRemoved()).toEqual(["billing"]);
    attached.get("c-billing")?.clear();
    expect(await prober.probeRemoved()).toEqual([]);
    expect(lines.at(-1)).toBe("  probe after the update, removed: billing previous certificate refused (AADSTS700027)");
  });

  it("when no client stays (the map emptied), tries nobody during the update and names them all as removed", async () => {
    const dir = clientsDirectory(attachedAtStart());
    const lines: string[] = [];
    const prober = clientsProber(clientsBefore, [], entra, (l) => lines.push(l), dir.probe);
    await prober.probe("before the update");
    await prober.afterStep(step("delete", credential, "orders-credential-1"), {});
    expect([dir.tried, lines, prober.gaps]).toEqual([[], [], []]);
    expect(prober.removed).toEqual(["orders", "orders-eu", "billing"]);
  });

  it("names a moment where a client that stays gets no token as a gap of that client, and prints every client at each step", async () => {
    const attached = attachedAtStart();
    const dir = clientsDirectory(attached);
    const lines: string[] = [];
    const prober = clientsProber(clientsBefore, ["orders", "orders-eu"], entra, (l) => lines.push(l), dir.probe);
    await prober.afterStep(step("same", credential, "orders-credential-1"), {});
    attached.get("c-orders-eu")?.clear();
    await prober.afterStep(step("delete", credential, "orders-eu-credential-1"), {});
    expect(prober.gaps).toEqual(["after delete of orders-eu-credential-1 (orders-eu)"]);
    expect(lines).toEqual([
      "  probe after delete of orders-eu-credential-1: orders previous certificate accepted; orders-eu previous certificate refused (AADSTS700027)",
    ]);
  });

  it("learns each client's new certificate from the stack's clients output after the update", async () => {
    const attached = attachedAtStart();
    attached.get("c-orders")?.add("ORDERS NEW");
    const dir = clientsDirectory(attached);
    const prober = clientsProber(clientsBefore, ["orders"], entra, () => undefined, dir.probe);
    prober.learn({ clients: { orders: { certificatePem: "ORDERS NEW", privateKeyPem: "ORDERS NEW KEY" } } });
    await prober.probe("after the update");
    expect(dir.tried).toEqual(["c-orders:ORDERS OLD:ORDERS OLD KEY", "c-orders:ORDERS NEW:ORDERS NEW KEY"]);
    expect(prober.gaps).toEqual([]);
  });

  it("in Key Vault mode takes a vault certificate of its own client as the new one, signed by the key of the same name and version", async () => {
    const { certificatePem } = await sharedCertificate();
    const tried: Holder[] = [];
    const prober = clientsProber(
      clientsBefore,
      ["orders", "orders-eu"],
      entra,
      () => undefined,
      async (_, holders) => {
        tried.push(...holders);
        return holders.map((h) => ({ label: h.label, accepted: true, reason: "accepted" }));
      },
      { credential: { getToken: async () => null }, caPem: "CA" },
    );
    await prober.afterStep(step("create", "azure:keyvault/certificate:Certificate", "orders-vault-cert-2"), {
      certificateData: Buffer.from(new X509Certificate(certificatePem).raw).toString("hex"),
      versionlessId: "https://localhost:1/certificates/orders-2",
      version: "0123456789abcdef0123456789abcdef",
    });
    // orders-eu's outputs are not touched: it tries only what it held before.
    expect(tried.map((h) => [h.label, h.keyVaultKeyId ?? "", h.privateKeyPem ?? ""])).toEqual([
      ["previous certificate", "", ""],
      ["new certificate", "https://localhost:1/keys/orders-2/0123456789abcdef0123456789abcdef", ""],
      ["previous certificate", "", ""],
    ]);
  });
});
