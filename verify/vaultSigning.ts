import type { TokenCredential } from "@azure/identity";
import { attemptTimeoutMs, type Clock } from "./acquire";
import { type Backoff, backoffDelay, defaultBackoff } from "./backoff";
import type { Check } from "./check";
import { formatSeconds } from "./duration";
import { AuthenticationError, DeadlineError, PreflightError } from "./errors";
import type { ClientInputs } from "./inputs";
import type { Preflight } from "./preflight";
import { defaultVaultCredential, openVaultKey, recordingCredential, type VaultKey } from "./vault";
import { VaultCallError } from "./vaultFailure";
import { vaultKeyChecks } from "./vaultPreflight";

export interface VaultSigningRequest {
  inputs: ClientInputs & { keyVault: NonNullable<ClientInputs["keyVault"]> };
  preflight: Preflight;
  /** The identity to reach the vault as; DefaultAzureCredential when absent. */
  credential?: TokenCredential;
  /** Epoch milliseconds by which to give up. */
  deadline: number;
  clock: Clock;
  backoff?: Backoff;
  onWait: (message: string) => void;
  /** The run's secrets: every vault token the credential hands out is added. */
  secrets: string[];
}

/**
 * Key Vault preflight, before any token request: gets the vault key's
 * public part (waiting out what is transient, as for the authority, within
 * the deadline) and checks it against the certificate. On success the
 * preflight gets the vault's signer; a 403 or a credential that cannot get a
 * vault token is an authentication failure (exit 4) at once, a key that is
 * not the certificate's or does not exist a preflight failure (exit 3).
 */
export async function prepareVaultSigning(req: VaultSigningRequest): Promise<Check[]> {
  const { inputs, clock } = req;
  const credential = recordingCredential(
    req.credential ?? (await defaultVaultCredential(inputs.authorityHost, inputs.caPem)),
    req.secrets,
  );
  const key = await openWithRetries(req, credential);
  const checks = vaultKeyChecks(key, req.preflight.certificate, inputs.keyVault.names, new Date(clock.now()));
  const failed = checks.find((c) => !c.ok);
  if (failed) throw new PreflightError(`${failed.name}: ${failed.detail}`);
  req.preflight.signer = key.sign;
  return checks;
}

async function openWithRetries(req: VaultSigningRequest, credential: TokenCredential): Promise<VaultKey> {
  const { inputs, clock } = req;
  let last = "no attempt finished";
  for (let attempt = 1; ; attempt++) {
    const remaining = req.deadline - clock.now();
    if (remaining <= 0) break;
    try {
      return await openVaultKey(inputs.keyVault.key, credential, {
        ca: inputs.caPem,
        timeoutMs: attemptTimeoutMs(remaining),
      });
    } catch (err) {
      if (!(err instanceof VaultCallError)) throw err;
      const { failure } = err;
      if (failure.kind === "not-found") throw new PreflightError(failure.reason);
      if (!failure.transient) throw new AuthenticationError(failure.reason);
      last = failure.reason;
      const waitMs = backoffDelay(attempt, req.backoff ?? defaultBackoff, failure.retryAfterMs, clock.random);
      if (clock.now() + waitMs >= req.deadline) break;
      req.onWait(`${failure.reason}, reading the vault key, attempt ${attempt}, retrying in ${formatSeconds(waitMs)}`);
      await clock.sleep(waitMs);
    }
  }
  throw new DeadlineError(
    `gave up reaching Key Vault at the deadline; last: ${last}; raise --timeout or look at the cause`,
  );
}
