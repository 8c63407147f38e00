import { azureadProvider, type Deployer } from "./azuread";
import type { DirectoryApi } from "./directoryApi";
import type { Provider } from "./engine";
import { type MockVaults, newVaults, vaultCertificate } from "./keyvault";
import { privateKey, selfSignedCert } from "./tls";

/**
 * Every resource type and function the program uses, done for real against the local Entra ID (and, in Key Vault
 * mode, in-memory vaults whose keys never reach the state).
 */
export function localProvider(
  directory: DirectoryApi,
  deployer: Deployer,
  vaults: MockVaults = newVaults(),
  now?: () => Date,
): Provider {
  const azuread = azureadProvider(directory, deployer);
  return {
    resources: {
      "tls:index/privateKey:PrivateKey": privateKey,
      "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert(now),
      "azure:keyvault/certificate:Certificate": vaultCertificate(vaults),
      ...azuread.resources,
    },
    invokes: azuread.invokes,
  };
}

export type { Deployer, MockVaults };
