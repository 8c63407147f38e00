import { X509Certificate } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import type { LocalEntra } from "../entra/server";
import type { StepEvent } from "./engine";
import { type Holder, type ProbeResult, type ProbeTarget, probe as realProbe } from "./probe";

const certType = "tls:index/selfSignedCert:SelfSignedCert";
const keyType = "tls:index/privateKey:PrivateKey";
const vaultCertType = "azure:keyvault/certificate:Certificate";

/** A vault certificate's PEM and its key's id, from the provider's outputs (hex DER; the key shares name and version). */
function vaultHolder(outputs: Record<string, unknown>): { certificatePem: string; keyVaultKeyId: string } | undefined {
  const hex = text(outputs.certificateData);
  const versionless = text(outputs.versionlessId);
  const version = text(outputs.version);
  if (!hex || !/\/certificates\/[^/]+$/.test(versionless) || !/^[0-9a-f]{32}$/.test(version)) return undefined;
  return {
    certificatePem: new X509Certificate(Buffer.from(hex, "hex")).toString(),
    keyVaultKeyId: `${versionless.replace(/\/certificates\/([^/]+)$/, "/keys/$1")}/${version}`,
  };
}

const text = (v: unknown) => (typeof v === "string" ? v : "");

export type Probe = (target: ProbeTarget, holders: Holder[]) => Promise<ProbeResult[]>;

/** Where an app is asked for a token: its tenant, client id and scope from its outputs before the update. */
function targetOf(
  before: Record<string, unknown>,
  entra: Pick<LocalEntra, "authorityHost" | "caPem">,
  vault?: { credential: TokenCredential; caPem: string },
): ProbeTarget {
  return {
    tenantId: text(before.tenantId),
    clientId: text(before.clientId),
    scope: text(before.scope),
    authorityHost: entra.authorityHost,
    caPem: vault?.caPem ?? entra.caPem,
    ...(vault ? { vaultCredential: vault.credential } : {}),
  };
}

/**
 * One app's certificates to try: the one it held before the update, and the incoming one once its key and
 * certificate exist (learnt from the outputs of the steps that made them, never printed).
 */
function certificatesOf(before: Record<string, unknown>, vault: boolean) {
  const old: Holder = {
    label: "previous certificate",
    certificatePem: text(before.certificatePem),
    ...(vault ? { keyVaultKeyId: text(before.keyVaultKeyId) } : { privateKeyPem: text(before.privateKeyPem) }),
  };
  const incoming = { certificatePem: "", privateKeyPem: "", keyVaultKeyId: "" };
  return {
    holders(): Holder[] {
      const signer = vault ? { keyVaultKeyId: incoming.keyVaultKeyId } : { privateKeyPem: incoming.privateKeyPem };
      const ready = incoming.certificatePem && (vault ? incoming.keyVaultKeyId : incoming.privateKeyPem);
      return ready && incoming.certificatePem !== old.certificatePem
        ? [old, { label: "new certificate", certificatePem: incoming.certificatePem, ...signer }]
        : [old];
    },
    /** The app's outputs after the update. */
    learn(outputs: Record<string, unknown>) {
      incoming.certificatePem = text(outputs.certificatePem) || incoming.certificatePem;
      incoming.privateKeyPem = text(outputs.privateKeyPem) || incoming.privateKeyPem;
      incoming.keyVaultKeyId = text(outputs.keyVaultKeyId) || incoming.keyVaultKeyId;
    },
    /** A step that made one of the app's keys or certificates. */
    learnStep(step: StepEvent, outputs: Record<string, unknown>) {
      // A delete hands over the outgoing resource's last outputs: only what was made is the incoming one.
      if (step.op === "delete") return;
      if (step.type === certType) incoming.certificatePem = text(outputs.certPem) || incoming.certificatePem;
      if (step.type === keyType) incoming.privateKeyPem = text(outputs.privateKeyPem) || incoming.privateKeyPem;
      const made = step.type === vaultCertType ? vaultHolder(outputs) : undefined;
      if (made) Object.assign(incoming, made);
    },
  };
}

/**
 * Tries the outgoing and the incoming certificate after every applied step of
 * a rotation, so it shows which one works when. The incoming key and
 * certificate are learnt from the outputs the engine hands to `afterStep` as
 * soon as they are made (never printed), so from then on both are tried.
 */
export function rotationProber(
  before: Record<string, unknown>,
  entra: Pick<LocalEntra, "authorityHost" | "caPem">,
  say: (line: string) => void,
  probe: Probe = realProbe,
  /** Key Vault mode: the identity that signs through the vault, and the CAs of the authority and the vault. */
  vault?: { credential: TokenCredential; caPem: string },
) {
  const target = targetOf(before, entra, vault);
  const certificates = certificatesOf(before, vault !== undefined);
  const gaps: string[] = [];
  const run = async (moment: string) => {
    const results = await probe(target, certificates.holders());
    say(`  probe ${moment}: ${results.map(probeText).join(", ")}`);
    if (!results.some((r) => r.accepted)) gaps.push(moment);
  };
  return {
    gaps,
    probe: run,
    learn: certificates.learn,
    async afterStep(step: StepEvent, outputs: Record<string, unknown>) {
      if (step.op === "same" || step.op === "read") return;
      certificates.learnStep(step, outputs);
      await run(`after ${step.op} of ${step.name}`);
    },
  };
}

/**
 * Whether a step made or removed one of this client's keys or certificates: CertificateApp names them
 * `<client>-key-<generation>`, `<client>-cert-<generation>` and `<client>-vault-cert-<generation>` (a generation
 * id has no dash), so with the type the name tells the client even when one client's name starts another's.
 */
function ofClient(client: string, step: StepEvent): boolean {
  const kind = { [keyType]: "key", [certType]: "cert", [vaultCertType]: "vault-cert" }[step.type];
  return (
    kind !== undefined &&
    step.name.startsWith(`${client}-${kind}-`) &&
    !step.name.slice(client.length + kind.length + 2).includes("-")
  );
}

/**
 * The rotation prober for a stack of many clients (its `clients` output): after every applied step of an update,
 * every client that stays in the map is tried, with the certificate it held before the update and, once made,
 * its new one, all clients at once. A moment where one of them gets no token is a gap, named by the step and the
 * client: removing or rotating one client must never interrupt another. The clients the update removes are not
 * tried during it (their credentials go at its end); `probeRemoved` tries them after it, and they must be refused.
 */
export function clientsProber(
  before: Record<string, Record<string, unknown>>,
  staying: readonly string[],
  entra: Pick<LocalEntra, "authorityHost" | "caPem">,
  say: (line: string) => void,
  probe: Probe = realProbe,
  vault?: { credential: TokenCredential; caPem: string },
) {
  const appOf = (name: string, outputs: Record<string, unknown>) => ({
    name,
    target: targetOf(outputs, entra, vault),
    certificates: certificatesOf(outputs, vault !== undefined),
  });
  const names = Object.keys(before);
  const apps = names.filter((n) => staying.includes(n)).map((n) => appOf(n, before[n] ?? {}));
  const removed = names.filter((n) => !staying.includes(n)).map((n) => appOf(n, before[n] ?? {}));
  const gaps: string[] = [];
  const tryAll = (list: typeof apps) =>
    Promise.all(list.map(async (a) => ({ name: a.name, results: await probe(a.target, a.certificates.holders()) })));
  const line = (tried: { name: string; results: ProbeResult[] }[]) =>
    tried.map((t) => `${t.name} ${t.results.map(probeText).join(", ")}`).join("; ");
  const run = async (moment: string) => {
    if (apps.length === 0) return;
    const tried = await tryAll(apps);
    say(`  probe ${moment}: ${line(tried)}`);
    for (const t of tried) if (!t.results.some((r) => r.accepted)) gaps.push(`${moment} (${t.name})`);
  };
  return {
    gaps,
    /** The clients that stay, by name. */
    staying: apps.map((a) => a.name),
    removed: removed.map((a) => a.name),
    probe: run,
    /** The stack's outputs after the update: each staying client's new certificate, from `clients`. */
    learn(outputs: Record<string, unknown>) {
      const clients = outputs.clients;
      if (typeof clients !== "object" || clients === null) return;
      for (const a of apps) {
        const own = (clients as Record<string, unknown>)[a.name];
        if (typeof own === "object" && own !== null) a.certificates.learn(own as Record<string, unknown>);
      }
    },
    async afterStep(step: StepEvent, outputs: Record<string, unknown>) {
      if (step.op === "same" || step.op === "read") return;
      apps.find((a) => ofClient(a.name, step))?.certificates.learnStep(step, outputs);
      await run(`after ${step.op} of ${step.name}`);
    },
    /** After the update: the removed clients' certificates, each of which must now be refused. Returns those accepted. */
    async probeRemoved(): Promise<string[]> {
      if (removed.length === 0) return [];
      const tried = await tryAll(removed);
      say(`  probe after the update, removed: ${line(tried)}`);
      return tried.filter((t) => t.results.some((r) => r.accepted)).map((t) => t.name);
    },
  };
}

const probeText = (r: ProbeResult) => `${r.label} ${r.accepted ? "accepted" : `refused (${r.reason})`}`;
