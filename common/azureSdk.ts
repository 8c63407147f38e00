import { Agent } from "node:https";

/**
 * A per-call pipeline policy that sends every request of an Azure SDK client (Key Vault clients,
 * Azure Identity credentials) through an HTTPS agent trusting `caPem` (one CA or a PEM bundle), and
 * nothing else: the process environment (NODE_EXTRA_CA_CERTS) is never touched. The SDKs' Node HTTP
 * client uses `request.agent` when it is set (Azure/azure-sdk-for-js
 * sdk/core/core-rest-pipeline/src/nodeHttpClient.ts, `getOrCreateAgent`).
 *
 * Pass it as `additionalPolicies: [trustCaPolicy(ca)]` in a client's or credential's options.
 */
export function trustCaPolicy(caPem: string) {
  const agent = new Agent({ ca: caPem, keepAlive: true });
  return {
    policy: {
      name: "trustCaPolicy",
      sendRequest<Q extends { agent?: unknown; url?: string }, R>(
        request: Q,
        next: (request: Q) => Promise<R>,
      ): Promise<R> {
        // An https agent on a plain-http request fails it (ERR_INVALID_PROTOCOL): managed identity's IMDS probe
        // (http://169.254.169.254) goes through the same policies, so only https requests get the CA.
        if (request.url === undefined || request.url.startsWith("https:")) request.agent = agent;
        return next(request);
      },
    },
    position: "perCall" as const,
  };
}

/**
 * Key Vault's own hosts: the SDKs check that a challenge's resource matches the vault's host for these
 * (Azure/azure-sdk-for-js sdk/keyvault/keyvault-common/src/keyVaultAuthenticationPolicy.ts,
 * `verifyChallengeResource`); any other host (a local vault on localhost) needs
 * `disableChallengeResourceVerification: true`.
 */
const vaultDomains = [
  ".vault.azure.net",
  ".vault.azure.cn",
  ".vault.usgovcloudapi.net",
  ".vault.microsoftazure.de",
  ".managedhsm.azure.net",
  ".managedhsm.azure.cn",
  ".managedhsm.usgovcloudapi.net",
];

/** Whether a vault URL is on one of Azure's Key Vault domains. */
export const isAzureVaultHost = (vaultUrl: string): boolean => {
  const host = URL.canParse(vaultUrl) ? new URL(vaultUrl).hostname.toLowerCase() : "";
  return vaultDomains.some((d) => host.endsWith(d));
};

/** Microsoft's authority hosts, which @azure/identity knows (its `AzureAuthorityHosts`). */
const microsoftAuthorityHosts = [
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.de",
];

/** Whether an authority host (an https origin) is one of Microsoft's. */
export const isMicrosoftAuthorityHost = (authorityHost: string): boolean =>
  URL.canParse(authorityHost) && microsoftAuthorityHosts.includes(new URL(authorityHost).hostname.toLowerCase());

/** Whether a URL's host is this machine's loopback: where the local Key Vault and the tests' vaults listen. */
export const isLoopbackHost = (url: string): boolean => {
  const host = URL.canParse(url) ? new URL(url).hostname.toLowerCase() : "";
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
};

type CaPolicy = ReturnType<typeof trustCaPolicy>;

/**
 * Options for a Key Vault client (`KeyClient`, `CryptographyClient`,
 * `CertificateClient`) of the vault at `vaultUrl`: the CA when given, and
 * `disableChallengeResourceVerification` only for a loopback host (a local
 * vault can never end in `.vault.azure.net`). Anywhere else the check stays
 * on: it is what stops a host that is not Key Vault from naming another
 * resource in its challenge and being handed a token for it
 * (keyvault-common `keyVaultAuthenticationPolicy.ts`, `verifyChallengeResource`).
 * `maxRetries` 0 leaves retrying to a caller that has its own deadline.
 */
export function vaultClientOptions(
  vaultUrl: string,
  options: { ca?: string; maxRetries?: number } = {},
): {
  additionalPolicies: CaPolicy[];
  disableChallengeResourceVerification: boolean;
  retryOptions?: { maxRetries: number };
} {
  return {
    additionalPolicies: options.ca === undefined ? [] : [trustCaPolicy(options.ca)],
    disableChallengeResourceVerification: isLoopbackHost(vaultUrl),
    ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
  };
}

/**
 * Options for an `@azure/identity` credential (DefaultAzureCredential and
 * the others) against `authorityHost`: the CA when given, and for a host
 * that is not one of Microsoft's, `disableInstanceDiscovery` (instance
 * discovery asks login.microsoftonline.com about the host, which only
 * Microsoft's hosts pass).
 */
export function identityOptions(
  authorityHost: string,
  options: { ca?: string } = {},
): { authorityHost: string; disableInstanceDiscovery?: boolean; additionalPolicies: CaPolicy[] } {
  return {
    authorityHost,
    ...(isMicrosoftAuthorityHost(authorityHost) ? {} : { disableInstanceDiscovery: true }),
    additionalPolicies: options.ca === undefined ? [] : [trustCaPolicy(options.ca)],
  };
}
