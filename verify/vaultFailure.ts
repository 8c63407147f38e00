import { CodedError } from "../common/errors";
import { tlsTrustFailure } from "../common/https";
import { isRecord } from "../common/json";
import { retryAfterMs } from "./backoff";

/** What a failed Key Vault call (or the vault credential behind it) means for the run. */
export interface VaultFailure {
  kind: "forbidden" | "unauthorized" | "credential" | "not-found" | "untrusted" | "signature" | "transient" | "other";
  transient: boolean;
  /** One line, safe to print: the key id (a checked https URL), status codes and error codes only. */
  reason: string;
  retryAfterMs?: number;
}

/** Read: the preflight's get of the key's public part; sign: the assertion's signature. */
export type VaultAction = "read" | "sign";

/**
 * The permission advice a 403 carries: Key Vault's RBAC role for using keys, naming the data action that was
 * refused (verify reads the key's public part before it signs, so a custom role needs both), or the access-policy
 * equivalent.
 */
export const vaultPermissionAdvice = (action: VaultAction): string =>
  `grant it the Key Vault Crypto User role (${action === "read" ? "Microsoft.KeyVault/vaults/keys/read and Microsoft.KeyVault/vaults/keys/sign/action" : "Microsoft.KeyVault/vaults/keys/sign/action"}), or the keys get and sign access-policy permissions`;

const credentialErrors = new Set([
  "AggregateAuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationError",
  "AuthenticationRequiredError",
]);

/**
 * Classifies an error from `@azure/keyvault-keys` (a RestError with the
 * vault's status), from `@azure/identity` (the credential that gets the
 * vault's token), or from the assertion's own signature check. What waiting
 * can fix (network errors, no answer in time, 429, 5xx) is transient, as for
 * the authority; a 403 is a permission to grant, never a retry loop; a 401
 * reaching here already had a fresh token refused (the SDK's challenge policy
 * retries once, @azure/keyvault-common `keyVaultAuthenticationPolicy.ts`).
 * Messages of the SDK are not quoted: a service or credential message may
 * carry anything, so only codes of a known shape are.
 */
export function classifyVaultFailure(err: unknown, keyId: string, action: VaultAction): VaultFailure {
  const e = isRecord(err) ? err : {};
  const given = typeof e.name === "string" ? e.name : err instanceof Error ? err.name : typeof err;
  // An error's name is quoted only when it is one: an SDK or a service can set it to anything.
  const name = /^[A-Za-z]{1,60}$/.test(given) ? given : "Error";
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const code = typeof e.code === "string" && /^[A-Za-z_]{1,60}$/.test(e.code) ? e.code : undefined;
  const untrusted = tlsTrustFailure(err);
  if (untrusted)
    return {
      kind: "untrusted",
      transient: false,
      reason: `Key Vault's TLS certificate is not trusted (${untrusted}): pass the CA that issued it with --ca-file <pem> (a bundle may hold the authority's and the vault's CAs); waiting will not fix this`,
    };
  if (name === "SignatureMismatchError")
    return {
      kind: "signature",
      transient: false,
      reason: `Key Vault's signature with ${keyId} does not verify with the certificate's public key: keyVaultKeyId and certificatePem must come from one deployment`,
    };
  if (credentialErrors.has(name)) {
    if (status === 429 || (status !== undefined && status >= 500))
      return { kind: "transient", transient: true, reason: `the identity's authority answered HTTP ${status}` };
    const aadsts = /AADSTS(\d{5,7})/.exec(typeof e.message === "string" ? e.message : "")?.[1];
    return {
      kind: "credential",
      transient: false,
      reason: `cannot get a Key Vault token for the signing identity (${name}${aadsts ? `, AADSTS${aadsts}` : ""}): check the identity verify reaches the vault as; DefaultAzureCredential takes, in a pipeline, the Azure CLI's login (azure/login before the step, or the step inside AzureCLI@2) or a workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE), and az login's locally; AZURE_TOKEN_CREDENTIALS=AzureCliCredential makes it take the CLI's login only`,
    };
  }
  if (status === 403)
    return {
      kind: "forbidden",
      transient: false,
      reason: `the identity may not ${action === "sign" ? "sign with" : "read"} ${keyId} (Key Vault answered 403${code ? ` ${code}` : ""}): ${vaultPermissionAdvice(action)}`,
    };
  if (status === 401)
    return {
      kind: "unauthorized",
      transient: false,
      reason: `Key Vault refused the signing identity's token for ${keyId} (401${code ? ` ${code}` : ""}): the identity must be in the vault's tenant and its token for https://vault.azure.net; a new token was already tried`,
    };
  if (status === 404)
    return {
      kind: "not-found",
      transient: false,
      reason: `Key Vault has no key ${keyId} (404${code ? ` ${code}` : ""}): check keyVaultKeyId (a deleted key, or another vault)`,
    };
  if (status === 429 || (status !== undefined && status >= 500)) {
    const headers = isRecord(e.response) ? e.response.headers : undefined;
    const header =
      isRecord(headers) && typeof headers.get === "function"
        ? (headers.get as (n: string) => string | undefined)("retry-after")
        : undefined;
    return {
      kind: "transient",
      transient: true,
      reason: `Key Vault answered HTTP ${status}`,
      retryAfterMs: retryAfterMs(header),
    };
  }
  if (status === undefined && (name === "AbortError" || name === "TimeoutError"))
    return { kind: "transient", transient: true, reason: "no answer from Key Vault in time" };
  if (status === undefined && name === "RestError")
    return { kind: "transient", transient: true, reason: `network error reaching Key Vault (${code ?? "no answer"})` };
  return {
    kind: "other",
    transient: false,
    reason: `Key Vault ${action === "sign" ? "sign" : "get key"} failed (${name}${status ? ` HTTP ${status}` : ""}${code ? ` ${code}` : ""})`,
  };
}

/** An error carrying a classified vault failure through msal-node, which rethrows what the assertion callback throws. */
export class VaultCallError extends CodedError {
  static override readonly code = "ERR_VAULT_CALL";
  constructor(readonly failure: VaultFailure) {
    super(failure.reason);
  }
}
