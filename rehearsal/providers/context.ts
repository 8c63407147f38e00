import type { Agent } from "node:https";

/** How the local azure provider reaches vaults: what azurerm gets from ARM and from its credential. */
export interface VaultAccess {
  /** The data-plane URL of a vault, by its ARM id, as azurerm's BaseUriForKeyVault looks it up through ARM. */
  vaultUrl(keyVaultId: string): string | undefined;
  /** Trusted for the vaults' TLS. */
  agent: Agent;
  /** A bearer token for `https://vault.azure.net` as the deploying identity. */
  token(): Promise<string>;
}

/** What the providers need to reach the local Entra ID and to answer getClientConfig. */
export interface ProviderContext {
  entra: {
    /** `https://localhost:<port>` of the local Entra ID. */
    authorityHost: string;
    /** The CA that issued its server certificate: trusted for this host only. */
    caPem: string;
    tenantId: string;
    /** Sent as `Authorization: Bearer <adminKey>` on every Graph admin call (the local Entra ID refuses an admin call without it: entra/routes.ts). */
    adminKey: string;
  };
  /**
   * The deploying identity, as azuread's getClientConfig reports it. `roles` are the Microsoft Graph application
   * permissions it holds; absent means Application.ReadWrite.All (the admin key's own standing).
   */
  deployer: { clientId: string; objectId: string; roles?: string[] };
  /** The local Key Vault, as the azure provider reaches it (ARM id to URL, TLS trust, the deployer's token); absent without one. */
  keyVault?: VaultAccess;
}
