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
  const target: ProbeTarget = {
    tenantId: text(before.tenantId),
    clientId: text(before.clientId),
    scope: text(before.scope),
    authorityHost: entra.authorityHost,
    caPem: vault?.caPem ?? entra.caPem,
    ...(vault ? { vaultCredential: vault.credential } : {}),
  };
  const old: Holder = {
    label: "previous certificate",
    certificatePem: text(before.certificatePem),
    ...(vault ? { keyVaultKeyId: text(before.keyVaultKeyId) } : { privateKeyPem: text(before.privateKeyPem) }),
  };
  const incoming = { certificatePem: "", privateKeyPem: "", keyVaultKeyId: "" };
  const gaps: string[] = [];
  const holders = (): Holder[] => {
    const signer = vault ? { keyVaultKeyId: incoming.keyVaultKeyId } : { privateKeyPem: incoming.privateKeyPem };
    const ready = incoming.certificatePem && (vault ? incoming.keyVaultKeyId : incoming.privateKeyPem);
    return ready && incoming.certificatePem !== old.certificatePem
      ? [old, { label: "new certificate", certificatePem: incoming.certificatePem, ...signer }]
      : [old];
  };
  const run = async (moment: string) => {
    const results = await probe(target, holders());
    say(`  probe ${moment}: ${results.map(probeText).join(", ")}`);
    if (!results.some((r) => r.accepted)) gaps.push(moment);
  };
  return {
    gaps,
    probe: run,
    learn(outputs: Record<string, unknown>) {
      incoming.certificatePem = text(outputs.certificatePem) || incoming.certificatePem;
      incoming.privateKeyPem = text(outputs.privateKeyPem) || incoming.privateKeyPem;
      incoming.keyVaultKeyId = text(outputs.keyVaultKeyId) || incoming.keyVaultKeyId;
    },
    async afterStep(step: StepEvent, outputs: Record<string, unknown>) {
      if (step.op === "same" || step.op === "read") return;
      // A delete hands over the outgoing resource's last outputs: only what was made is the incoming one.
      if (step.op !== "delete") {
        if (step.type === certType) incoming.certificatePem = text(outputs.certPem) || incoming.certificatePem;
        if (step.type === keyType) incoming.privateKeyPem = text(outputs.privateKeyPem) || incoming.privateKeyPem;
        const made = step.type === vaultCertType ? vaultHolder(outputs) : undefined;
        if (made) Object.assign(incoming, made);
      }
      await run(`after ${step.op} of ${step.name}`);
    },
  };
}

const probeText = (r: ProbeResult) => `${r.label} ${r.accepted ? "accepted" : `refused (${r.reason})`}`;
