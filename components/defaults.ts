import type { PfxEncryption } from "./pfx";

/**
 * Every setting of a certificate-authenticated app, defaults applied. Each comment is the description
 * Pulumi.yaml declares for the same key; a test keeps the two in agreement.
 */
export interface Settings {
  /**
   * Display name of the client app registration. Also the certificate's common name unless certificateSubject is set.
   */
  displayName: string;
  /** Common name (CN) of the generated certificate. Empty means the display name. */
  certificateSubject: string;
  /** Key algorithm of the generated key. Entra ID accepts only RSA certificate credentials. */
  keyAlgorithm: string;
  /** RSA key size in bits, 2048, 3072 or 4096. Takes effect at the next rotation. */
  keySize: number;
  /** How long the generated certificate is valid, in days. Takes effect at the next rotation. */
  validityDays: number;
  /**
   * Days before expiry from which `pulumi up` rotates the generated certificate, with overlap, as if rotation had
   * changed. 0 means only in its last hour, or once it has expired: rotate explicitly before. Must be shorter than
   * validityDays.
   */
  earlyRenewalDays: number;
  /**
   * Rotation lever. Change it to anything new and run `pulumi up`: a new key and certificate become current, the
   * previous certificate stays attached until the next rotation.
   */
  rotation: string;
  /**
   * Microsoft Entra authority host exported in `authority` (for example https://login.microsoftonline.us for US
   * Government).
   */
  authorityHost: string;
  /**
   * Client id of an existing API app registration to grant roles on. Empty means the stack creates a companion API that
   * exposes apiRoles.
   */
  apiClientId: string;
  /**
   * Identifier URI of the API, used for the scope. Empty means api://<tenantId>/<project>-<stack>-<hash>, unique per
   * stack, for the companion API, and <apiClientId> for an existing API.
   */
  apiIdentifierUri: string;
  /** App roles (values) the companion API exposes to applications. Ignored with apiClientId. */
  apiRoles: string[];
  /**
   * App roles granted to the client with admin consent. Empty means every role in apiRoles (companion API); required
   * with apiClientId.
   */
  roles: string[];
  /**
   * Access token version the companion API asks for (requestedAccessTokenVersion), 1 or 2. Personal-account audiences
   * need 2.
   */
  accessTokenVersion: number;
  /** Object ids of the owners of the app registrations. Empty means the identity that runs the deployment. */
  owners: string[];
  /**
   * Sign-in audience of the app registrations: AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount or
   * PersonalMicrosoftAccount.
   */
  signInAudience: string;
  /**
   * Bring your own certificate, PEM (CA-issued, or made with OpenSSL). Set with privateKeyPem; then no key or
   * certificate is generated.
   */
  certificatePem: string;
  /** Private key of certificatePem, PEM. Set it as a secret, `pulumi config set --secret privateKeyPem < key.pem`. */
  privateKeyPem: string;
  /** Password of the certificatePfx output. Set it as a secret; empty means a generated random password. */
  pfxPassword: string;
  /**
   * Encryption of the certificatePfx output: aes256 (AES-256-CBC with PBKDF2-SHA256 and a SHA-256 MAC, as OpenSSL 3
   * writes) or legacy3des (3DES with a SHA-1 MAC, for Windows before Server 2019).
   */
  pfxEncryption: PfxEncryption;
  /**
   * ARM id of an existing Key Vault, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>.
   * Set, each certificate is generated in the vault and its key never leaves it: no private key, PFX or password in
   * outputs or state. Takes effect at the next rotation, which setting it makes.
   */
  keyVaultId: string;
  /**
   * Let Key Vault export the private key (in the certificate's secret) for hosts that load the certificate from the
   * vault, such as App Service. Only with keyVaultId; changing it is a rotation with overlap, since Key Vault fixes
   * exportability when it makes a key.
   */
  keyVaultExportable: boolean;
  /**
   * Accept that this stack's rotation memory (its rotationState and certificatePem outputs) is lost: the next update
   * starts a new generation and removes the credentials attached before, without overlap. Set it for that one update,
   * then remove it.
   */
  allowRotationReset: boolean;
}

/**
 * The program's defaults. Pulumi.yaml declares the same values for the CLI; the program applies them
 * itself because Pulumi's mocks (and anyone who constructs the component directly) never read
 * Pulumi.yaml. A test keeps the two in agreement.
 */
export const defaults: Settings = {
  displayName: "entra-cert-auth-client",
  certificateSubject: "",
  keyAlgorithm: "RSA",
  keySize: 2048,
  validityDays: 365,
  earlyRenewalDays: 0,
  rotation: "1",
  authorityHost: "https://login.microsoftonline.com",
  apiClientId: "",
  apiIdentifierUri: "",
  apiRoles: ["Data.Read"],
  roles: [],
  accessTokenVersion: 2,
  owners: [],
  signInAudience: "AzureADMyOrg",
  certificatePem: "",
  privateKeyPem: "",
  pfxPassword: "",
  pfxEncryption: "aes256",
  keyVaultId: "",
  keyVaultExportable: false,
  allowRotationReset: false,
};

/** RSA key sizes Entra ID and the tls provider both accept. */
export const rsaKeySizes = [2048, 3072, 4096] as const;

/** Sign-in audiences of an app registration (Microsoft Graph, application resource type, signInAudience). */
export const signInAudiences = [
  "AzureADMyOrg",
  "AzureADMultipleOrgs",
  "AzureADandPersonalMicrosoftAccount",
  "PersonalMicrosoftAccount",
] as const;
