import { createHash, generateKeyPair, type KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import { issueCertificate, KeyUsageFlags } from "../../../common/x509";
import type { Created, ResourceProvider } from "../../../rehearsal/engine/provider";
import type { PlainMap } from "../../../rehearsal/engine/wire";
import { isFields, num, str, strList } from "../../../rehearsal/providers/fields";
import { keyVaultCertificate } from "../../../rehearsal/providers/keyVault";
import type { Inputs } from "./engine";

const what = "azure keyvault Certificate";
const generate = promisify(generateKeyPair);

/** One certificate version a mock vault holds: its key stays here, in memory, as in Key Vault. */
export interface VaultObject {
  name: string;
  version: string;
  certificatePem: string;
  key: KeyObject;
  exportable: boolean;
}

/** The vaults of one test (several deployments), by vault name: what the vaults hold, for tests to check. */
export type MockVaults = Map<string, Map<string, VaultObject>>;

export const newVaults = (): MockVaults => new Map();

// azurerm key_vault_certificate_resource.go: key_usage values (case-sensitive) and the RSA key sizes.
const keyUsageFlags: Record<string, number> = {
  cRLSign: KeyUsageFlags.cRLSign,
  dataEncipherment: KeyUsageFlags.dataEncipherment,
  decipherOnly: KeyUsageFlags.decipherOnly,
  digitalSignature: KeyUsageFlags.digitalSignature,
  encipherOnly: KeyUsageFlags.encipherOnly,
  keyAgreement: KeyUsageFlags.keyAgreement,
  keyCertSign: KeyUsageFlags.keyCertSign,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
};
const rsaSizes = [2048, 3072, 4096];
const vaultId =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i;

/**
 * azure:keyvault/certificate:Certificate as azurerm makes a self-issued one: a real RSA key of the policy's size
 * and a self-signed certificate with its subject, validity in months, key usages and EKUs; outputs in the
 * provider's forms (key_vault_certificate_resource.go, Read): certificate_data uppercase hex DER, thumbprint
 * uppercase hex SHA-1, the versioned certificate id as the resource id, certificate_attribute times RFC3339 in
 * whole seconds. A policy change is an update that makes a new version under the same name, as azurerm's Update
 * does. Keys come from `keyOf`, so tests can draw them from the run's pool. Check and Diff are the rehearsal's own
 * provider's (rehearsal/providers/keyVault.ts); only the vault it would reach over HTTPS is replaced by memory here.
 */
export function vaultCertificate(
  vaults: MockVaults,
  keyOf: (bits: number) => Promise<KeyObject> = (bits) =>
    generate("rsa", { modulusLength: bits }).then((p) => p.privateKey),
): ResourceProvider {
  const issue = async (inputs: Inputs, existing?: unknown): Promise<Created> => {
    const name = str(inputs, "name", what);
    if (!/^[0-9A-Za-z-]{1,127}$/.test(name)) throw new Error(`${what}: name must be 1-127 letters, digits and dashes`);
    const armId = str(inputs, "keyVaultId", what);
    const vaultName = vaultId.exec(armId)?.[1]?.toLowerCase();
    if (!vaultName) throw new Error(`${what}: keyVaultId is not a Key Vault resource id`);
    const policy = checkedPolicy(inputs.certificatePolicy);
    const vault = vaults.get(vaultName) ?? new Map<string, VaultObject>();
    vaults.set(vaultName, vault);
    if (!existing && vault.has(name))
      throw new Error(
        `${what}: a resource with the ID ${name} already exists - to be managed via Terraform it needs to be imported`,
      );
    const key = await keyOf(policy.keySize);
    const notBefore = wholeSeconds(new Date());
    const notAfter = addMonths(notBefore, policy.validityInMonths);
    const certificatePem = await issueCertificate({
      key,
      subject: policy.subject,
      notBefore,
      notAfter,
      keyUsages: policy.keyUsages.reduce<number>((flags, u) => flags | (keyUsageFlags[u] ?? 0), 0),
      extendedKeyUsages: policy.extendedKeyUsages,
    });
    const version = randomBytes(16).toString("hex");
    vault.set(name, { name, version, certificatePem, key, exportable: policy.exportable });
    const der = new X509Certificate(certificatePem).raw;
    const base = `https://${vaultName}.vault.azure.net`;
    const at = rfc3339(notBefore);
    return {
      id: `${base}/certificates/${name}/${version}`,
      outputs: {
        ...(inputs as PlainMap),
        version,
        versionlessId: `${base}/certificates/${name}`,
        secretId: `${base}/secrets/${name}/${version}`,
        versionlessSecretId: `${base}/secrets/${name}`,
        resourceManagerId: `${armId}/certificates/${name}/versions/${version}`,
        resourceManagerVersionlessId: `${armId}/certificates/${name}`,
        certificateData: der.toString("hex").toUpperCase(),
        certificateDataBase64: der.toString("base64"),
        thumbprint: createHash("sha1").update(der).digest("hex").toUpperCase(),
        certificateAttributes: [
          {
            created: at,
            enabled: true,
            expires: rfc3339(notAfter),
            notBefore: at,
            recoveryLevel: "Recoverable+Purgeable",
            updated: at,
          },
        ],
      },
    };
  };
  const { check, diff, secretOutputs } = keyVaultCertificate(noVault);
  return {
    check,
    diff,
    secretOutputs,
    create: (inputs) => issue(inputs),
    update: (prior, news) => issue(news, prior),
    async delete(prior) {
      // Deleted and purged, azurerm's default (features.key_vault.purge_soft_deleted_certificates_on_destroy).
      const name = String(prior.inputs.name);
      const vaultName = vaultId.exec(String(prior.inputs.keyVaultId))?.[1]?.toLowerCase() ?? "";
      vaults.get(vaultName)?.delete(name);
    },
  };
}

/** The rehearsal provider's vault access, never used: its Check and Diff reach no vault. */
const noVault = {
  vaultUrl: () => undefined,
  agent: undefined as never,
  token: async () => {
    throw new Error("the program tests' vaults are in memory");
  },
};

interface Policy {
  keySize: number;
  exportable: boolean;
  subject: string;
  validityInMonths: number;
  keyUsages: string[];
  extendedKeyUsages: string[];
}

/** The certificate policy, checked as azurerm's schema and Key Vault check it. */
function checkedPolicy(value: unknown): Policy {
  if (!isFields(value)) throw new Error(`${what}: certificatePolicy is required to generate a certificate`);
  const issuer = isFields(value.issuerParameters) ? value.issuerParameters : {};
  if (issuer.name !== "Self")
    throw new Error(`${what}: the local engine generates self-issued certificates only (issuerParameters.name Self)`);
  const key = isFields(value.keyProperties) ? value.keyProperties : {};
  if (key.keyType !== "RSA") throw new Error(`${what}: keyProperties.keyType must be RSA here`);
  const keySize = num(key, "keySize", `${what} keyProperties`);
  if (!rsaSizes.includes(keySize)) throw new Error(`${what}: keyProperties.keySize must be 2048, 3072 or 4096`);
  if (typeof key.exportable !== "boolean" || typeof key.reuseKey !== "boolean")
    throw new Error(`${what}: keyProperties.exportable and reuseKey are required booleans`);
  const secret = isFields(value.secretProperties) ? value.secretProperties : {};
  str(secret, "contentType", `${what} secretProperties`);
  const x509 = isFields(value.x509CertificateProperties) ? value.x509CertificateProperties : {};
  const validityInMonths = num(x509, "validityInMonths", `${what} x509CertificateProperties`);
  if (!Number.isInteger(validityInMonths) || validityInMonths < 1 || validityInMonths > 1200)
    throw new Error(`${what}: validityInMonths must be a whole number from 1 to 1200`);
  const keyUsages = strList(x509, "keyUsages");
  for (const u of keyUsages) if (!(u in keyUsageFlags)) throw new Error(`${what}: key usage ${u} is not known`);
  checkLifetimeActions(value.lifetimeActions);
  return {
    keySize,
    exportable: key.exportable,
    subject: str(x509, "subject", `${what} x509CertificateProperties`),
    validityInMonths,
    keyUsages,
    extendedKeyUsages: strList(x509, "extendedKeyUsages"),
  };
}

/** Key Vault takes one lifetime action, AutoRenew or EmailContacts, triggered by days or by a percentage. */
function checkLifetimeActions(value: unknown): void {
  const actions = Array.isArray(value) ? value : [];
  if (actions.length > 1) throw new Error(`${what}: Key Vault allows a single lifetime action`);
  for (const a of actions.filter(isFields)) {
    const action = isFields(a.action) ? a.action : {};
    if (action.actionType !== "AutoRenew" && action.actionType !== "EmailContacts")
      throw new Error(`${what}: lifetime action type must be AutoRenew or EmailContacts`);
    const trigger = isFields(a.trigger) ? a.trigger : {};
    const days = trigger.daysBeforeExpiry;
    const percentage = trigger.lifetimePercentage;
    if ((days === undefined) === (percentage === undefined))
      throw new Error(`${what}: a lifetime action's trigger takes daysBeforeExpiry or lifetimePercentage`);
    if (percentage !== undefined && !(typeof percentage === "number" && percentage >= 1 && percentage <= 99))
      throw new Error(`${what}: lifetimePercentage must be from 1 to 99`);
  }
}

const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
/**
 * Go's time.Format(time.RFC3339) of the attributes' times: Key Vault sends Unix seconds, which go-autorest's
 * date.UnixTime holds as UTC, so whole seconds and `Z`.
 */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

function addMonths(d: Date, months: number): Date {
  const next = new Date(d);
  next.setUTCMonth(next.getUTCMonth() + months);
  return next;
}
