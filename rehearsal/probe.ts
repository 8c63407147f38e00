import type { TokenCredential } from "@azure/identity";
import { messageOf } from "../common/errors";
import { realClock, requestToken } from "../verify/acquire";
import type { ClientInputs } from "../verify/inputs";
import { parseKeyVaultKeyId } from "../verify/keyVaultKeyId";
import { preflight } from "../verify/preflight";
import { prepareVaultSigning } from "../verify/vaultSigning";

/** A certificate a client holds, to try against the local Entra ID: with its key, or with its key's id in a vault. */
export interface Holder {
  label: string;
  certificatePem: string;
  privateKeyPem?: string;
  /** Key Vault mode: the versioned key id that signs for this certificate. */
  keyVaultKeyId?: string;
}

export interface ProbeTarget {
  tenantId: string;
  clientId: string;
  scope: string;
  authorityHost: string;
  caPem: string;
  /** Key Vault mode: who signs through the vault (the pipeline identity). */
  vaultCredential?: TokenCredential;
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
      const { vaultCredential, ...where } = target;
      const key = h.keyVaultKeyId === undefined ? undefined : parseKeyVaultKeyId(h.keyVaultKeyId);
      const inputs: ClientInputs = {
        source: "outputs",
        ...where,
        expectedRoles: [],
        certificatePem: h.certificatePem,
        ...(h.privateKeyPem === undefined ? {} : { privateKeyPem: h.privateKeyPem }),
        ...(key && typeof key === "object"
          ? { keyVault: { key, names: { keyId: "keyVaultKeyId", certificate: "certificatePem" } } }
          : {}),
      };
      try {
        const pre = preflight(inputs, 0);
        if (inputs.keyVault)
          await prepareVaultSigning({
            inputs: { ...inputs, keyVault: inputs.keyVault },
            preflight: pre,
            credential: vaultCredential,
            deadline: Date.now() + 10_000,
            clock: realClock,
            onWait: () => undefined,
            secrets: [],
          });
        const outcome = await requestToken(inputs, pre, "sha256", 10_000);
        return {
          label: h.label,
          accepted: outcome.token !== undefined,
          reason: outcome.token ? "accepted" : outcome.reason,
        };
      } catch (err) {
        // Preflight and the vault's own refusals say what is wrong in their message, never a secret.
        return { label: h.label, accepted: false, reason: messageOf(err) };
      }
    }),
  );
}
