/**
 * The program's defaults. Pulumi.yaml declares the same values for the CLI;
 * the program applies them itself because Pulumi's mocks (and anyone who
 * constructs the component directly) never read Pulumi.yaml. A test keeps the
 * two in agreement.
 */
export const defaults = {
  displayName: "entra-cert-auth-client",
  certificateSubject: "",
  keyAlgorithm: "RSA",
  keySize: 2048,
  validityDays: 365,
  earlyRenewalDays: 30,
  rotation: "1",
  previousCertificatePem: "",
  authorityHost: "https://login.microsoftonline.com",
  apiClientId: "",
  apiIdentifierUri: "",
  apiRoles: ["Data.Read"] as string[],
  roles: [] as string[],
  accessTokenVersion: 2,
  owners: [] as string[],
  signInAudience: "AzureADMyOrg",
  certificatePem: "",
  privateKeyPem: "",
};

/** Every setting of a certificate-authenticated app, defaults applied. */
export type Settings = typeof defaults;

/** RSA key sizes Entra ID and the tls provider both accept. */
export const rsaKeySizes = [2048, 3072, 4096] as const;
