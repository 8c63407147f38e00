import { Agent } from "node:https";

/**
 * Options that make Azure SDK clients (`@azure/keyvault-*`, `@azure/identity`)
 * trust an explicit CA and talk to a vault or authority that is not Azure's,
 * without touching the process environment. Types are structural so that
 * importing this file loads no SDK.
 */

/** A pipeline policy as `@azure/core-rest-pipeline` takes it, reduced to what the trust policy touches. */
export interface AgentPolicyConfig {
  policy: {
    name: string;
    // The SDK's own Agent type is a structural subset of node's https.Agent.
    sendRequest<R extends { agent?: unknown }, S>(request: R, next: (request: R) => Promise<S>): Promise<S>;
  };
  position: "perCall";
}

/**
 * Sets `request.agent` to an https.Agent that trusts `ca` (one PEM or a
 * bundle), for every request of a client. The SDK's Node HTTP client uses
 * `request.agent` when it is set (@typespec/ts-http-runtime
 * `src/nodeHttpClient.ts`: `request.agent ?? this.getOrCreateAgent(...)`),
 * so the CA never has to be in NODE_EXTRA_CA_CERTS, which Node reads once at
 * start. One keep-alive agent per CA for the process.
 */
export function trustPolicy(ca: string): AgentPolicyConfig {
  const agent = agentFor(ca);
  return {
    policy: {
      name: "entraCertAuthTrustPolicy",
      sendRequest: (request, next) => {
        request.agent = agent as typeof request.agent;
        return next(request);
      },
    },
    position: "perCall",
  };
}

const agents = new Map<string, Agent>();
function agentFor(ca: string): Agent {
  let agent = agents.get(ca);
  if (!agent) {
    agent = new Agent({ ca, keepAlive: true });
    agents.set(ca, agent);
  }
  return agent;
}

/**
 * The DNS suffixes of Azure's Key Vault and Managed HSM data planes, by
 * cloud. The SDKs check that a vault's host ends in the challenge's resource
 * domain (@azure/keyvault-common `keyVaultAuthenticationPolicy.ts`,
 * `verifyChallengeResource`), which only these hosts can.
 */
const azureVaultSuffixes = [
  ".vault.azure.net",
  ".vault.azure.cn",
  ".vault.usgovcloudapi.net",
  ".vault.microsoftazure.de",
  ".managedhsm.azure.net",
  ".managedhsm.azure.cn",
  ".managedhsm.usgovcloudapi.net",
];

/** Whether a host name is one of Azure's vault domains (then the SDK's challenge-resource check stays on). */
export const isAzureVaultHost = (hostname: string): boolean =>
  azureVaultSuffixes.some((suffix) => hostname.toLowerCase().endsWith(suffix));

/** Microsoft's authority hosts, which @azure/identity knows (its `AzureAuthorityHosts`). */
const microsoftAuthorityHosts = [
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
  "login.microsoftonline.de",
];

export const isMicrosoftAuthorityHost = (hostname: string): boolean =>
  microsoftAuthorityHosts.includes(hostname.toLowerCase());

/**
 * Options for a Key Vault client (`KeyClient`, `CryptographyClient`,
 * `CertificateClient`) of the vault at `vaultUrl`: the CA when given, and
 * `disableChallengeResourceVerification` only for a host outside Azure's
 * vault domains (a loopback vault can never end in `.vault.azure.net`).
 * `maxRetries` 0 leaves retrying to the caller, who has a deadline.
 */
export function vaultClientOptions(
  vaultUrl: string,
  options: { ca?: string; maxRetries?: number } = {},
): {
  additionalPolicies: AgentPolicyConfig[];
  disableChallengeResourceVerification: boolean;
  retryOptions?: { maxRetries: number };
} {
  return {
    additionalPolicies: options.ca === undefined ? [] : [trustPolicy(options.ca)],
    disableChallengeResourceVerification: !isAzureVaultHost(new URL(vaultUrl).hostname),
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
): { authorityHost: string; disableInstanceDiscovery?: boolean; additionalPolicies: AgentPolicyConfig[] } {
  const microsoft = isMicrosoftAuthorityHost(new URL(authorityHost).hostname);
  return {
    authorityHost,
    ...(microsoft ? {} : { disableInstanceDiscovery: true }),
    additionalPolicies: options.ca === undefined ? [] : [trustPolicy(options.ca)],
  };
}
