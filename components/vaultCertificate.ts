// The subpath, not "@pulumi/azure": measured on this machine, a type-check of one file importing
// "@pulumi/azure/keyvault" reads 385 files (204k lines of declarations, about +2 s over none), importing
// "@pulumi/azure" reads 2211 (522k lines, about +6 s), and requiring the root module costs 0.7-1 s more at run time.
// ts-node type-checks the program on every `pulumi up`.
import { Certificate } from "@pulumi/azure/keyvault";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./defaults";
import { keyIdOfCertificate, pemOfHex, subjectOf, validityInMonths, vaultCertificateName } from "./vault";

/** One generation's certificate in Key Vault: the public certificate and the ids of the vault objects. */
export interface VaultCertificate {
  resource: Certificate;
  /** Public; made from the vault's hex DER. */
  certificatePem: pulumi.Output<string>;
  /** The versioned key id, what a client signs with (`https://<vault>/keys/<name>/<version>`). */
  keyId: pulumi.Output<string>;
  /** The versioned certificate id (`https://<vault>/certificates/<name>/<version>`). */
  certificateId: pulumi.Output<string>;
  /** The versioned secret id (`https://<vault>/secrets/<name>/<version>`): the PFX when exportable. */
  secretId: pulumi.Output<string>;
}

// Client authentication (RFC 5280 id-kp-clientAuth), as the tls certificate's allowed use client_auth.
const clientAuth = "1.3.6.1.5.5.7.3.2";

/**
 * A certificate generated inside Key Vault, named by its generation like the tls key: a rotation makes a new vault
 * certificate beside the old one, which stays (and keeps its key) while its credential is attached.
 */
export function vaultCertificate(
  name: string,
  generation: string,
  keyVaultId: string,
  settings: Settings,
  parent: pulumi.Resource,
): VaultCertificate {
  const cert = new Certificate(
    `${name}-vault-cert-${generation}`,
    {
      name: vaultCertificateName(pulumi.getProject(), pulumi.getStack(), name, generation),
      keyVaultId,
      certificatePolicy: certificatePolicy(settings),
    },
    // Policy settings take effect at the next rotation, through a new certificate: azurerm answers a policy
    // change with a new version under the same name (key_vault_certificate_resource.go, Update calls
    // createCertificate), whose new key the attached credential does not know, and the credential would be
    // replaced within one update, without overlap. The whole block is ignored, which also keeps a policy that
    // Key Vault reads back in its own form (key usages as a set, computed subject alternative names) from
    // showing as a change.
    // The name is ForceNew (key_vault_certificate_resource.go, `name`): spelled otherwise after a project or stack
    // rename, it would replace the certificate, with a new key, under the credential of the same generation (and
    // delete the key the kept credential's clients sign with). A generation keeps the name it was made with.
    { parent, ignoreChanges: ["certificatePolicy", "name"] },
  );
  return {
    resource: cert,
    certificatePem: cert.certificateData.apply(pemOfHex),
    // The provider's id is the versioned certificate id (key_vault_certificate_resource.go, d.SetId).
    keyId: cert.id.apply(keyIdOfCertificate),
    certificateId: cert.id,
    secretId: cert.secretId,
  };
}

/** The policy the program sends, as plain values (assignable to CertificateArgs' certificatePolicy). */
export interface SelfIssuedPolicy {
  issuerParameters: { name: "Self" };
  keyProperties: { keyType: "RSA"; keySize: number; exportable: boolean; reuseKey: false };
  secretProperties: { contentType: "application/x-pkcs12" };
  x509CertificateProperties: {
    subject: string;
    validityInMonths: number;
    extendedKeyUsages: string[];
    keyUsages: string[];
  };
  lifetimeActions: { action: { actionType: "EmailContacts" }; trigger: { lifetimePercentage: number } }[];
}

/**
 * A self-issued policy: RSA of keySize, not exportable unless asked, a new key for every certificate, the subject
 * and validity of the settings, digital signature for client authentication.
 *
 * Key Vault's own renewal stays off. The program owns rotation, with overlap: a vault renewal would make a new
 * version under the same name, with a new key the attached credential does not know, and nothing would attach it.
 * A policy without lifetime actions is not enough: Key Vault gives a self-issued certificate created without any
 * an AutoRenew action at 80% of its lifetime (as lowkey-vault, which mimics it, does:
 * DefaultCertificateLifetimeActionPolicy, CertAuthorityType.SELF_SIGNED), so the one action is EmailContacts, a
 * reminder to the vault's certificate contacts, if it has any.
 */
export function certificatePolicy(settings: Settings): SelfIssuedPolicy {
  return {
    issuerParameters: { name: "Self" },
    keyProperties: {
      keyType: "RSA",
      keySize: settings.keySize,
      exportable: settings.keyVaultExportable,
      reuseKey: false,
    },
    secretProperties: { contentType: "application/x-pkcs12" },
    x509CertificateProperties: {
      subject: subjectOf(settings.certificateSubject || settings.displayName),
      validityInMonths: validityInMonths(settings.validityDays),
      extendedKeyUsages: [clientAuth],
      keyUsages: ["digitalSignature"],
    },
    lifetimeActions: [{ action: { actionType: "EmailContacts" }, trigger: { lifetimePercentage: 80 } }],
  };
}
