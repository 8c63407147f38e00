import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCertificateCredential } from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { trustCaPolicy } from "../../common/azureSdk";
import { type LocalKeyVault, type RoleName, start } from "../../keyvault/server";
import { makeCertificate, type TestCertificate } from "./certificates";
import { startEntra, type TestEntra } from "./entra";

/** Key Vault's resource as the local Entra ID registers it: v1.0 tokens with aud https://vault.azure.net. */
export const vaultResource = "https://vault.azure.net";

/** A client registered in the local Entra ID with a certificate credential, and the roles it holds in the vault. */
export interface VaultIdentity {
  clientId: string;
  /** The service principal's object id: the `oid` of its tokens, the principal of its role assignments. */
  objectId: string;
  cert: TestCertificate;
}

export interface TestVault {
  entra: TestEntra;
  vault: LocalKeyVault;
  /** The vault's state file (in a temporary folder removed by stop()). */
  statePath: string;
  /** The Key Vault resource app in the local Entra ID. */
  resource: { appId: string; servicePrincipalId: string };
  /** Both CAs (local Entra ID and local vault): what SDK clients and credentials trust here. */
  caBundle: string;
  /** Registers a client with a certificate and grants it the vault roles (none: it may do nothing). */
  identity(roles?: RoleName[]): Promise<VaultIdentity>;
  credential(identity: VaultIdentity): ClientCertificateCredential;
  certificateClient(identity: VaultIdentity): CertificateClient;
  keyClient(identity: VaultIdentity): KeyClient;
  cryptographyClient(identity: VaultIdentity, keyId: string): CryptographyClient;
  stop(): Promise<void>;
}

/**
 * A local Entra ID and a local Key Vault trusting it, each on a free port with state in temporary folders,
 * the Key Vault resource registered (identifierUris ["https://vault.azure.net"], v1.0 tokens), and helpers
 * for real SDK clients that trust the two CAs through a pipeline policy. `now` is the vault's clock.
 */
export async function startVault(options: { now?: () => Date } = {}): Promise<TestVault> {
  const entra = await startEntra();
  const dir = mkdtempSync(join(tmpdir(), "eca-keyvault-"));
  const statePath = join(dir, "keyvault.json");
  let vault: LocalKeyVault;
  try {
    vault = await start({
      state: statePath,
      entra: { authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: entra.caPem },
      now: options.now,
    });
  } catch (err) {
    await entra.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const app = entra.admin.createApplication({
    displayName: "Azure Key Vault",
    identifierUris: [vaultResource],
    api: { requestedAccessTokenVersion: 1 },
  });
  const sp = entra.admin.createServicePrincipal(app.appId);
  const caBundle = `${entra.caPem}\n${vault.caPem}`;
  const sdkOptions = () => ({
    additionalPolicies: [trustCaPolicy(caBundle)],
    disableChallengeResourceVerification: true,
  });
  const credential = (identity: VaultIdentity) =>
    new ClientCertificateCredential(
      entra.tenantId,
      identity.clientId,
      { certificate: `${identity.cert.certificatePem}\n${identity.cert.privateKeyPem}` },
      {
        authorityHost: entra.authorityHost,
        disableInstanceDiscovery: true,
        additionalPolicies: [trustCaPolicy(caBundle)],
      },
    );
  return {
    entra,
    vault,
    statePath,
    resource: { appId: app.appId, servicePrincipalId: sp.id },
    caBundle,
    async identity(roles = []) {
      const client = entra.admin.createApplication({ displayName: "vault client" });
      const clientSp = entra.admin.createServicePrincipal(client.appId);
      const cert = await makeCertificate();
      entra.admin.addKeyCredential(client.id, { key: cert.certificatePem });
      if (roles.length > 0) vault.assignRoles(clientSp.id, roles);
      return { clientId: client.appId, objectId: clientSp.id, cert };
    },
    credential,
    certificateClient: (identity) => new CertificateClient(vault.vaultUrl, credential(identity), sdkOptions()),
    keyClient: (identity) => new KeyClient(vault.vaultUrl, credential(identity), sdkOptions()),
    cryptographyClient: (identity, keyId) => new CryptographyClient(keyId, credential(identity), sdkOptions()),
    async stop() {
      await vault.stop();
      await entra.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
