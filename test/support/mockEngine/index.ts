import { azureadProvider, type Deployer } from "./azuread";
import type { DirectoryApi } from "./directoryApi";
import type { Provider } from "./engine";
import { privateKey, selfSignedCert } from "./tls";

/** Every resource type and function the program uses, done for real against the local Entra ID. */
export function localProvider(directory: DirectoryApi, deployer: Deployer, now?: () => Date): Provider {
  const azuread = azureadProvider(directory, deployer);
  return {
    resources: {
      "tls:index/privateKey:PrivateKey": privateKey,
      "tls:index/selfSignedCert:SelfSignedCert": selfSignedCert(now),
      ...azuread.resources,
    },
    invokes: azuread.invokes,
  };
}

export type { Deployer };
