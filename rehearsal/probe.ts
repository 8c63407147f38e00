import { requestToken } from "../verify/acquire";
import type { ClientInputs } from "../verify/inputs";
import { preflight } from "../verify/preflight";

/** A certificate a client holds, to try against the local Entra ID. */
export interface Holder {
  label: string;
  certificatePem: string;
  privateKeyPem: string;
}

export interface ProbeTarget {
  tenantId: string;
  clientId: string;
  scope: string;
  authorityHost: string;
  caPem: string;
}

export interface ProbeResult {
  label: string;
  accepted: boolean;
  reason: string;
}

/** Whether each holder gets a token right now: one request each, no retries. */
export async function probe(target: ProbeTarget, holders: Holder[]): Promise<ProbeResult[]> {
  return Promise.all(
    holders.map(async (h) => {
      const inputs: ClientInputs = {
        source: "outputs",
        ...target,
        expectedRoles: [],
        certificatePem: h.certificatePem,
        privateKeyPem: h.privateKeyPem,
      };
      const outcome = await requestToken(inputs, preflight(inputs, 0), "sha256", 10_000);
      return {
        label: h.label,
        accepted: outcome.token !== undefined,
        reason: outcome.token ? "accepted" : outcome.reason,
      };
    }),
  );
}
