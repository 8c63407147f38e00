import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { rsaKeySizes, type Settings, signInAudiences } from "./defaults";
import { grantedRoles } from "./roles";
import { maxValidityMonths, parseKeyVaultId, validityInMonths } from "./vault";

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Microsoft Graph, appRole resource type, "value": letters, digits and ! # $ % & ' ( ) * + , - . / : ; = ? @
// [ ] ^ _ { } ~; no spaces; may not begin with a dot.
const roleValue = /^(?!\.)[A-Za-z0-9!#$%&'()*+,\-./:;=?@[\]^_{}~]+$/;

/**
 * Every problem with the settings, one line each, naming the setting and the
 * fix. Pure, so preview can stop before a single resource is registered.
 */
export function settingsProblems(settings: Settings, now: Date = new Date()): string[] {
  return [
    ...nameProblems(settings),
    ...keyProblems(settings),
    ...validityProblems(settings),
    ...roleProblems(settings),
    ...apiProblems(settings),
    ...ownerProblems(settings),
    ...broughtCertificateProblems(settings, now),
    ...audienceProblems(settings),
    ...identifierUriProblems(settings),
    ...keyVaultProblems(settings),
  ];
}

/**
 * Personal Microsoft accounts only get v2.0 tokens, so Graph refuses these audiences on an app whose
 * api.requestedAccessTokenVersion is not 2 (Microsoft identity platform docs, "Validation differences by
 * supported account types").
 */
export function needsTokenVersion2(signInAudience: string): boolean {
  return signInAudience === "AzureADandPersonalMicrosoftAccount" || signInAudience === "PersonalMicrosoftAccount";
}

function audienceProblems(settings: Settings): string[] {
  if (!(signInAudiences as readonly string[]).includes(settings.signInAudience))
    return [`signInAudience ${settings.signInAudience} is not known: use one of ${signInAudiences.join(", ")}`];
  if (needsTokenVersion2(settings.signInAudience) && settings.accessTokenVersion !== 2)
    return [`signInAudience ${settings.signInAudience} includes personal accounts, which need accessTokenVersion 2`];
  return [];
}

/**
 * Identifier URIs are absolute api:// or https:// URIs without query or fragment, and at most 120
 * characters here to stay well inside Graph's limits (Microsoft docs, "Restrictions on identifier URIs").
 */
function identifierUriProblems(settings: Settings): string[] {
  if (!settings.apiIdentifierUri) return [];
  const fix = "use api://<tenantId>/<name>, api://<appId> or https://<verified domain>/<name>, no spaces";
  let url: URL;
  try {
    url = new URL(settings.apiIdentifierUri);
  } catch {
    return [`apiIdentifierUri ${settings.apiIdentifierUri} is not a URI: ${fix}`];
  }
  if (!["api:", "https:"].includes(url.protocol) || /\s/.test(settings.apiIdentifierUri) || url.search || url.hash)
    return [`apiIdentifierUri ${settings.apiIdentifierUri} is not a valid identifier URI: ${fix}`];
  return [];
}

function nameProblems(settings: Settings): string[] {
  if (settings.displayName.trim() !== "") return [];
  return ["displayName is empty: set a name, `pulumi config set displayName my-client`"];
}

function keyProblems(settings: Settings): string[] {
  if (settings.certificatePem) return [];
  const problems: string[] = [];
  if (settings.keyAlgorithm.toUpperCase() !== "RSA") {
    problems.push(
      `keyAlgorithm ${settings.keyAlgorithm} is not supported: Entra ID accepts only RSA certificate credentials; set keyAlgorithm to RSA`,
    );
  }
  if (!(rsaKeySizes as readonly number[]).includes(settings.keySize)) {
    // Key Vault creates RSA keys of the same three sizes (azurerm key_vault_certificate_resource.go, key_size).
    const who = settings.keyVaultId ? " by Key Vault" : "";
    problems.push(`keySize ${settings.keySize} is not supported${who}: use one of ${rsaKeySizes.join(", ")}`);
  }
  return problems;
}

function validityProblems(settings: Settings): string[] {
  if (settings.certificatePem) return [];
  const problems: string[] = [];
  if (!Number.isInteger(settings.validityDays) || settings.validityDays < 1) {
    problems.push(`validityDays ${settings.validityDays} must be a whole number of days, at least 1`);
  }
  if (!Number.isInteger(settings.earlyRenewalDays) || settings.earlyRenewalDays < 0) {
    problems.push(`earlyRenewalDays ${settings.earlyRenewalDays} must be a whole number of days, 0 or more`);
  }
  if (problems.length === 0 && settings.validityDays <= settings.earlyRenewalDays) {
    problems.push(
      `validityDays ${settings.validityDays} must be longer than earlyRenewalDays ${settings.earlyRenewalDays}, or the certificate is due for renewal as soon as it is made`,
    );
  }
  return problems;
}

function roleProblems(settings: Settings): string[] {
  const problems: string[] = [];
  const declared = settings.apiClientId ? [] : settings.apiRoles;
  for (const value of [...declared, ...settings.roles]) {
    if (!roleValue.test(value))
      problems.push(
        `role "${value}" is not a valid app role value: use printable characters without spaces, for example Data.Read`,
      );
  }
  if (!settings.apiClientId) {
    if (settings.apiRoles.length === 0)
      problems.push('apiRoles is empty: the companion API needs at least one role, for example ["Data.Read"]');
    for (const role of grantedRoles(settings)) {
      if (!settings.apiRoles.includes(role))
        problems.push(
          `role ${role} is unknown: the API exposes ${settings.apiRoles.join(", ")}; add it to apiRoles or remove it from roles`,
        );
    }
  }
  return problems;
}

function apiProblems(settings: Settings): string[] {
  const problems: string[] = [];
  if (settings.apiClientId && !guid.test(settings.apiClientId))
    problems.push(
      `apiClientId ${settings.apiClientId} is not a client id (GUID); leave it empty to create a companion API`,
    );
  if (settings.accessTokenVersion !== 1 && settings.accessTokenVersion !== 2)
    problems.push(`accessTokenVersion ${settings.accessTokenVersion} must be 1 or 2`);
  if (!/^https:\/\/[^/\s]+\/?$/.test(settings.authorityHost))
    problems.push(
      `authorityHost ${settings.authorityHost} must be an https origin, for example https://login.microsoftonline.com`,
    );
  return problems;
}

function ownerProblems(settings: Settings): string[] {
  return settings.owners.filter((o) => !guid.test(o)).map((o) => `owner ${o} is not an object id (GUID)`);
}

function broughtCertificateProblems(settings: Settings, now: Date): string[] {
  if (!settings.certificatePem && !settings.privateKeyPem) return [];
  if (!settings.certificatePem)
    return ["privateKeyPem is set without certificatePem: set both to bring your own certificate, or neither"];
  if (!settings.privateKeyPem)
    return [
      "certificatePem is set without privateKeyPem: set the key with `pulumi config set --secret privateKeyPem < key.pem`",
    ];
  const cert = parseCertificate(settings.certificatePem);
  if (!cert)
    return ["certificatePem is not a PEM certificate: set it with `pulumi config set certificatePem < cert.pem`"];
  // The key's own parse error could quote key material, so it is not repeated.
  const key = parseKey(settings.privateKeyPem);
  if (!key) return ["privateKeyPem is not a PEM private key (PKCS#1 or PKCS#8, unencrypted)"];
  const problems: string[] = [];
  if (cert.publicKey.asymmetricKeyType !== "rsa")
    problems.push(
      `certificatePem has a ${cert.publicKey.asymmetricKeyType} key: Entra ID accepts only RSA certificate credentials`,
    );
  if (!cert.checkPrivateKey(key))
    problems.push(
      `privateKeyPem does not match certificatePem (subject ${cert.subject.replaceAll("\n", ", ")}): set the key that was issued with this certificate`,
    );
  if (new Date(cert.validTo) <= now)
    problems.push(
      `certificatePem expired on ${new Date(cert.validTo).toISOString()}: renew it and set the new certificate and key`,
    );
  return problems;
}

/**
 * Key Vault mode's settings. keyVaultId is never quoted: only its shape is described, since a value pasted into
 * the wrong setting could be a secret.
 */
function keyVaultProblems(settings: Settings): string[] {
  if (!settings.keyVaultId) {
    return settings.keyVaultExportable
      ? [
          "keyVaultExportable is set without keyVaultId: it applies only to keys kept in Key Vault; set keyVaultId or remove it with `pulumi config rm keyVaultExportable`",
        ]
      : [];
  }
  const problems: string[] = [];
  const parsed = parseKeyVaultId(settings.keyVaultId);
  if ("problem" in parsed) problems.push(`keyVaultId ${parsed.problem}`);
  if (settings.certificatePem || settings.privateKeyPem)
    problems.push(
      "certificatePem and privateKeyPem are set with keyVaultId: a brought certificate is not generated in the vault; import it into the vault yourself (`az keyvault certificate import`) and remove certificatePem and privateKeyPem, or remove keyVaultId",
    );
  if (settings.pfxPassword)
    problems.push(
      "pfxPassword is set with keyVaultId: Key Vault mode has no certificatePfx output; remove it with `pulumi config rm pfxPassword`",
    );
  if (Number.isInteger(settings.validityDays) && validityInMonths(settings.validityDays) > maxValidityMonths)
    problems.push(
      `validityDays ${settings.validityDays} is longer than Key Vault's longest validity, ${maxValidityMonths} months: use at most ${Math.floor((maxValidityMonths * 365.2425) / 12)}`,
    );
  return problems;
}

function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function parseKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}
