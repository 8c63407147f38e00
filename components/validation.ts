import { createPrivateKey, type KeyObject } from "node:crypto";
import { parseCertificate } from "../common/certificate";
import { isGuid, isSafeUrl } from "../common/safe";
import { rsaKeySizes, type Settings, signInAudiences } from "./defaults";
import { maxValidityMonths, parseKeyVaultId, unquotableInSubject, validityInMonths } from "./vault";

// Microsoft Graph, appRole resource type, "value": letters, digits and ! # $ % & ' ( ) * + , - . / : ; = ? @
// [ ] ^ _ { } ~; no spaces; may not begin with a dot.
const roleValue = /^(?!\.)[A-Za-z0-9!#$%&'()*+,\-./:;=?@[\]^_{}~]+$/;

/**
 * Every problem with the settings, one line each, naming the setting and the
 * fix. Pure, so preview can stop before a single resource is registered.
 *
 * A message names the setting and says which shapes are allowed; it quotes a value only once its shape is
 * known to be safe (a number, a known name from a fixed list, a GUID, an https URL; common/safe.ts). A
 * private key pasted into the wrong setting reaches these messages, and they are printed into CI logs.
 */
export function settingsProblems(settings: Settings, now: Date = new Date()): string[] {
  return [
    ...pastedProblems(settings),
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

/** Settings whose value is a name, a URI or a lever, never a PEM block: a key there would end up in a name or an output. */
const plainTextKeys = [
  "displayName",
  "certificateSubject",
  "keyAlgorithm",
  "rotation",
  "authorityHost",
  "apiClientId",
  "apiIdentifierUri",
  "signInAudience",
] as const;

/**
 * A PEM block (a private key, most likely) or a line break in a setting that holds a name or a lever: the
 * value would become an app's display name, a certificate's subject or part of an output. Also a private
 * key pasted into certificatePem, which is a plain output. (List items are refused by their own checks:
 * neither a role value nor a GUID holds a space or a line break.)
 */
function pastedProblems(settings: Settings): string[] {
  const pasted = (value: string) => value.includes("-----BEGIN") || /PRIVATE KEY|[\r\n]/.test(value);
  const problems = plainTextKeys
    .filter((key) => pasted(settings[key]))
    .map(
      (key) => `${key} holds a PEM block or a line break: it takes a single line of text, never a key or certificate`,
    );
  if (settings.certificatePem.includes("PRIVATE KEY"))
    problems.push(
      "certificatePem holds a private key: set only the certificate there (it is a plain output) and the key with `pulumi config set --secret privateKeyPem < key.pem`",
    );
  return problems;
}

function audienceProblems(settings: Settings): string[] {
  if (!(signInAudiences as readonly string[]).includes(settings.signInAudience))
    return [`signInAudience is not a known sign-in audience: use one of ${signInAudiences.join(", ")}`];
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
    return [`apiIdentifierUri is not a URI: ${fix}`];
  }
  if (!["api:", "https:"].includes(url.protocol) || /\s/.test(settings.apiIdentifierUri) || url.search || url.hash)
    return [`apiIdentifierUri is not a valid identifier URI: ${fix}`];
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
      "keyAlgorithm is not supported: Entra ID accepts only RSA certificate credentials; set keyAlgorithm to RSA",
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
  // Role values are named by their place in the list, not quoted: a value that passes Graph's character
  // list may still be a pasted password or token.
  const listed = (key: "apiRoles" | "roles") => settings[key].map((value, i) => ({ value, at: `${key}[${i}]` }));
  // With an existing API, its roles are its own: only the granted ones are checked.
  const checked = settings.apiClientId ? listed("roles") : [...listed("apiRoles"), ...listed("roles")];
  for (const { value, at } of checked) {
    if (!roleValue.test(value))
      problems.push(
        `${at} is not a valid app role value: use printable characters without spaces, not starting with a dot, for example Data.Read`,
      );
  }
  if (!settings.apiClientId) {
    if (settings.apiRoles.length === 0)
      problems.push('apiRoles is empty: the companion API needs at least one role, for example ["Data.Read"]');
    for (const { value, at } of listed("roles")) {
      if (!settings.apiRoles.includes(value))
        problems.push(
          `${at} is not one of apiRoles, the roles the companion API exposes: add it to apiRoles or remove it from roles`,
        );
    }
  }
  return problems;
}

function apiProblems(settings: Settings): string[] {
  const problems: string[] = [];
  if (settings.apiClientId && !isGuid(settings.apiClientId))
    problems.push(
      "apiClientId is not a client id (a GUID such as 00000000-0000-0000-0000-000000000000): set the API's client id, or leave it empty to create a companion API",
    );
  if (settings.accessTokenVersion !== 1 && settings.accessTokenVersion !== 2)
    problems.push(`accessTokenVersion ${settings.accessTokenVersion} must be 1 or 2`);
  if (!/^https:\/\/[^/\s]+\/?$/.test(settings.authorityHost))
    problems.push(
      `authorityHost${isSafeUrl(settings.authorityHost) ? ` ${settings.authorityHost}` : ""} must be an https origin without a path, for example https://login.microsoftonline.com`,
    );
  return problems;
}

function ownerProblems(settings: Settings): string[] {
  return settings.owners.flatMap((o, i) =>
    isGuid(o)
      ? []
      : [`owners[${i}] is not an object id: owners takes the object ids (GUIDs) of users or service principals`],
  );
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
  const commonName = settings.certificateSubject ? "certificateSubject" : "displayName";
  if (unquotableInSubject.test(settings[commonName]))
    problems.push(
      `${commonName} holds a double quote or a backslash, which a Key Vault certificate's subject does not carry reliably: set certificateSubject to a common name without them, \`pulumi config set certificateSubject <name>\``,
    );
  if (Number.isInteger(settings.validityDays) && validityInMonths(settings.validityDays) > maxValidityMonths)
    problems.push(
      `validityDays ${settings.validityDays} is longer than Key Vault's longest validity, ${maxValidityMonths} months: use at most ${Math.floor((maxValidityMonths * 365.2425) / 12)}`,
    );
  return problems;
}

function parseKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

/**
 * The azure provider's subscription against the vaults the stack generates certificates in, at preview. `@pulumi/azure`
 * 6 (azurerm 4) requires a subscription id, `azure:subscriptionId` or else ARM_SUBSCRIPTION_ID (pulumi/pulumi-azure
 * pull 2367, "Subscription ID is now mandatory"), and it finds a certificate's vault again, to read or delete it,
 * only among the vaults of that subscription (hashicorp/terraform-provider-azurerm
 * internal/services/keyvault/key_vault_certificate_resource.go, KeyVaultIDFromBaseUrl with the provider's
 * Account.SubscriptionId, and client/populate_cache.go, which lists that subscription's vaults). A vault elsewhere
 * gets its certificate made, then dropped from the state by a refresh, and the oldest generation's delete at the
 * next rotation fails. Neither value is quoted: only their shapes and where to copy them from are named.
 */
export function azureSubscriptionProblems(
  keyVaultIds: readonly string[],
  provider: { config?: string | undefined; env?: string | undefined },
): string[] {
  const subscriptions = new Set(
    keyVaultIds.flatMap((id) => {
      const parsed = parseKeyVaultId(id);
      return "problem" in parsed ? [] : [parsed.subscriptionId.toLowerCase()];
    }),
  );
  if (subscriptions.size === 0) return [];
  if (subscriptions.size > 1)
    return [
      "keyVaultId names vaults in more than one subscription: the stack's azure provider works in one subscription (azure:subscriptionId), so keep every client's vault in that subscription",
    ];
  const setting = provider.config ? "azure:subscriptionId" : provider.env ? "ARM_SUBSCRIPTION_ID" : undefined;
  const fix = "set it to the vault's, the GUID after /subscriptions/ in keyVaultId";
  if (!setting)
    return [
      "azure:subscriptionId is not set: the azure provider needs the vault's subscription; `pulumi config set azure:subscriptionId <the GUID after /subscriptions/ in keyVaultId>` (or set ARM_SUBSCRIPTION_ID)",
    ];
  const given = (provider.config || provider.env || "").trim().toLowerCase();
  if (!isGuid(given)) return [`${setting} is not a subscription id (a GUID): ${fix}`];
  if (!subscriptions.has(given))
    return [
      `${setting} is not the subscription of keyVaultId's vault: the azure provider finds vault certificates only in its own subscription, and could not read or delete them later; ${fix}`,
    ];
  return [];
}
