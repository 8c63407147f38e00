import type { Providers } from "../engine/provider";
import { application, applicationCertificate, appRoleAssignment, azureadInvokes, servicePrincipal } from "./azuread";
import type { ProviderContext, VaultAccess } from "./context";
import { type GraphCall, graphClient } from "./graph";
import { keyVaultCertificate } from "./keyVault";
import { randomPassword } from "./random";
import { privateKey, selfSignedCert } from "./tls";

/**
 * Every resource type and function the program uses, done for real against the local Entra ID: what the rehearsal
 * hands the engine. StackReference is not here: the engine reads it itself (rehearsal/engine/builtins.ts).
 */
export function localProviders(context: ProviderContext, now?: () => Date): Providers {
  const { entra, deployer } = context;
  const caller = deployer.roles ? { objectId: deployer.objectId, roles: deployer.roles } : undefined;
  return providersOver(graphClient(entra.authorityHost, entra.caPem, entra.adminKey, caller), context, now);
}

/** What the providers know of the directory besides its Graph: where owner references point, the tenant, who deploys. */
export type DirectoryContext = Omit<ProviderContext, "entra"> & {
  entra: Pick<ProviderContext["entra"], "authorityHost" | "tenantId">;
};

/**
 * The same providers over any Graph. The program tests' mock engine hands one that reaches the local Entra ID's
 * routes in this process, so that one model of azuread serves both the rehearsal and those tests.
 */
export function providersOver(graph: GraphCall, context: DirectoryContext, now?: () => Date): Providers {
  const { entra, deployer } = context;
  return {
    resources: {
      "tls:index/privateKey:PrivateKey": privateKey,
      "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert(now),
      "random:index/randomPassword:RandomPassword": randomPassword,
      "azuread:index/application:Application": application(graph, {
        authorityHost: entra.authorityHost,
        callerId: deployer.objectId,
      }),
      "azuread:index/servicePrincipal:ServicePrincipal": servicePrincipal(graph, entra.tenantId),
      "azuread:index/applicationCertificate:ApplicationCertificate": applicationCertificate(graph),
      "azuread:index/appRoleAssignment:AppRoleAssignment": appRoleAssignment(graph),
      "azure:keyvault/certificate:Certificate": keyVaultCertificate(context.keyVault ?? noVault),
    },
    reads: {},
    invokes: azureadInvokes(graph, {
      tenantId: entra.tenantId,
      clientId: deployer.clientId,
      objectId: deployer.objectId,
    }),
  };
}

export type { ProviderContext, VaultAccess } from "./context";

/** Without --key-vault there is no vault to reach: the provider says so when the program asks for one. */
const noVault: VaultAccess = {
  vaultUrl: () => undefined,
  agent: undefined as never,
  token: async () => {
    throw new Error("no local Key Vault: run the rehearsal with --key-vault");
  },
};
