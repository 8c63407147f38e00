import { createHash, X509Certificate } from "node:crypto";
import { isGuid } from "../common/safe";

/** The parts of a Key Vault's ARM id. */
export interface KeyVaultId {
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
}

// Exactly the casing `az keyvault show --query id` prints and azurerm's strict parser (go-azure-helpers
// resourcemanager/commonids, ParseKeyVaultID) accepts.
const armShape = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/;
// Resource group names: 1-90 letters, digits, underscores, parentheses, hyphens and periods, not ending in a period
// (Azure docs, "Naming rules and restrictions for Azure resources", Microsoft.Resources).
const resourceGroup = /^[-\w.()\p{L}\p{N}]{1,90}$/u;
// Vault names: 3-24 characters, letters, digits and dashes, starting with a letter, ending with a letter or digit,
// no two dashes in a row (same page, Microsoft.KeyVault/vaults).
const vaultName = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$/;

/**
 * The vault's ARM id taken apart, or what is wrong with its shape. The reason never quotes the value: a value pasted
 * into the wrong setting could be a secret.
 */
export function parseKeyVaultId(id: string): KeyVaultId | { problem: string } {
  const match = armShape.exec(id);
  if (!match)
    return {
      problem:
        "is not the ARM id of a vault, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>: copy it from `az keyvault show --name <vault> --query id -o tsv`",
    };
  const [, subscriptionId = "", group = "", name = ""] = match;
  if (!isGuid(subscriptionId))
    return { problem: "names a subscription that is not a GUID: copy the id from `az keyvault show`" };
  if (!resourceGroup.test(group) || group.endsWith("."))
    return { problem: "names a resource group Azure would refuse: copy the id from `az keyvault show`" };
  if (!vaultName.test(name))
    return {
      problem:
        "names a vault Azure would refuse (3-24 letters, digits and dashes, starting with a letter, no `--`, not ending with `-`): copy the id from `az keyvault show`",
    };
  return { subscriptionId, resourceGroup: group, vaultName: name };
}

/** Key Vault's longest validity, in months (the portal's and the REST API's upper bound for validity_months). */
export const maxValidityMonths = 1200;
const daysPerMonth = 365.2425 / 12;

/**
 * Key Vault sets validity in whole months (x509_props.validity_months): the fewest months that last at least
 * `days` on the average Gregorian month, so 365 days is 12 months and 366 is 13. The certificate's real end date is
 * read back from the certificate itself.
 */
export function validityInMonths(days: number): number {
  return Math.max(1, Math.ceil(days / daysPerMonth - 1e-9));
}

/**
 * The Key Vault object name of one generation's certificate: `<project>-<stack>-<resource name>-<generation>`, as
 * Key Vault allows names (1-127 letters, digits and dashes). Stable across runs, and unique per stack as long as
 * the vault serves one organization. Were anything replaced or cut to fit, a hash of the whole path keeps it
 * unique; the generation always stays at the end, whole.
 */
export function vaultCertificateName(project: string, stack: string, resource: string, generation: string): string {
  const wanted = `${project}-${stack}-${resource}`;
  const clean = wanted.replace(/[^A-Za-z0-9-]/g, "-");
  const suffix = `-${generation.replace(/[^A-Za-z0-9-]/g, "-")}`;
  if (clean === wanted && clean.length + suffix.length <= 127) return `${clean}${suffix}`;
  const hash = createHash("sha256").update(`${project}/${stack}/${resource}`).digest("hex").slice(0, 8);
  return `${clean.slice(0, 127 - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** A certificate's DER as uppercase hex, the form azurerm's certificate_data has (key_vault_certificate_resource.go). */
export function hexOfPem(certificatePem: string): string {
  return new X509Certificate(certificatePem).raw.toString("hex").toUpperCase();
}

/** PEM of a certificate given as hex DER (either case). */
export function pemOfHex(hex: string): string {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new TypeError("certificate data is not hex DER");
  return new X509Certificate(Buffer.from(hex, "hex")).toString();
}

/**
 * The versioned key id of a Key Vault certificate: its key has the certificate's name and version
 * (`https://<vault>/certificates/<name>/<version>` -> `https://<vault>/keys/<name>/<version>`).
 */
export function keyIdOfCertificate(certificateId: string): string {
  const url = new URL(certificateId);
  const match = /^\/certificates\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (url.protocol !== "https:" || !match) throw new TypeError("not a versioned Key Vault certificate id");
  return `${url.origin}/keys/${match[1]}/${match[2]}`;
}

/**
 * `CN=<common name>` as Key Vault's x509_props.subject takes a distinguished name. A value with a comma (or another
 * separator or special character, or a space at either end) is enclosed in double quotes: Key Vault refuses a comma
 * left bare ("Invalid X.500 distinguished name", MicrosoftDocs/azure-docs issue 62463) and takes it quoted
 * (Azure/azure-powershell pull 13028, New-AzKeyVaultCertificatePolicy: `O="Contoso, Ltd."`), which RFC 2253 allows
 * too; whether it reads RFC 4514's backslash escapes is not documented. A double quote or a backslash in the name
 * has no form both agree on, so validation refuses those in Key Vault mode (validation.ts, keyVaultProblems).
 */
export function subjectOf(commonName: string): string {
  return /[,+=<>#;]|^\s|\s$/.test(commonName) ? `CN="${commonName}"` : `CN=${commonName}`;
}

/** Characters a Key Vault subject's common name cannot carry in a form every parser reads alike. */
export const unquotableInSubject = /["\\]/;
