import type { LocalEntra } from "../entra/server";
import type { StepEvent } from "./engine";
import { type Holder, type ProbeResult, type ProbeTarget, probe as realProbe } from "./probe";

const certType = "tls:index/selfSignedCert:SelfSignedCert";
const keyType = "tls:index/privateKey:PrivateKey";

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
) {
  const target: ProbeTarget = {
    tenantId: text(before.tenantId),
    clientId: text(before.clientId),
    scope: text(before.scope),
    authorityHost: entra.authorityHost,
    caPem: entra.caPem,
  };
  const old: Holder = {
    label: "previous certificate",
    certificatePem: text(before.certificatePem),
    privateKeyPem: text(before.privateKeyPem),
  };
  const incoming = { certificatePem: "", privateKeyPem: "" };
  const gaps: string[] = [];
  const holders = (): Holder[] =>
    incoming.certificatePem && incoming.privateKeyPem && incoming.certificatePem !== old.certificatePem
      ? [old, { label: "new certificate", ...incoming }]
      : [old];
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
    },
    async afterStep(step: StepEvent, outputs: Record<string, unknown>) {
      if (step.op === "same" || step.op === "read") return;
      // A delete hands over the outgoing resource's last outputs: only what was made is the incoming one.
      if (step.op !== "delete") {
        if (step.type === certType) incoming.certificatePem = text(outputs.certPem) || incoming.certificatePem;
        if (step.type === keyType) incoming.privateKeyPem = text(outputs.privateKeyPem) || incoming.privateKeyPem;
      }
      await run(`after ${step.op} of ${step.name}`);
    },
  };
}

const probeText = (r: ProbeResult) => `${r.label} ${r.accepted ? "accepted" : `refused (${r.reason})`}`;
