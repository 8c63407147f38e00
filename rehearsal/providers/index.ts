import type { ProviderContext, VaultAccess } from "../engine/types";
import { application, applicationCertificate, appRoleAssignment, azureadInvokes, servicePrincipal } from "./azuread";
import { graphClient } from "./graph";
import { keyVaultCertificate } from "./keyVault";
import type { Providers } from "./provider";
import { randomPassword } from "./random";
import { type StackOutputs, stackReference } from "./stackReference";
import { privateKey, selfSignedCert } from "./tls";

/** Every resource type, read and function the program uses, done for real against the local Entra ID. */
export function localProviders(context: ProviderContext, outputsOf: StackOutputs, now?: () => Date): Providers {
  const { entra, deployer } = context;
  const caller = deployer.roles ? { objectId: deployer.objectId, roles: deployer.roles } : undefined;
  const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey, caller);
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
    reads: { "pulumi:pulumi:StackReference": stackReference(outputsOf) },
    invokes: azureadInvokes(graph, {
      tenantId: entra.tenantId,
      clientId: deployer.clientId,
      objectId: deployer.objectId,
    }),
  };
}

export type { Providers } from "./provider";

/** Without --key-vault there is no vault to reach: the provider says so when the program asks for one. */
const noVault: VaultAccess = {
  vaultUrl: () => undefined,
  agent: undefined as never,
  token: async () => {
    throw new Error("no local Key Vault: run the rehearsal with --key-vault");
  },
};
