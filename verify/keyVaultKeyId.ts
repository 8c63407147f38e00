import { isAzureVaultHost, isLoopbackHost } from "../common/azureSdk";

/** A Key Vault key's versioned id, taken apart. */
export interface KeyVaultKeyId {
  /** The id as given: `https://<vault host>/keys/<name>/<version>`. */
  id: string;
  /** `https://<vault host>[:port]`, what SDK clients take as vaultUrl. */
  vaultUrl: string;
  name: string;
  /** 32 lowercase hex digits. */
  version: string;
}

/** Why a text is not a versioned key id; never quotes it (a pasted secret lands in such fields too). */
export type KeyIdProblem = "not-a-key-id" | "no-version" | "not-a-vault-host";

// Key Vault object names: 1-127 characters, letters, digits and dashes (Key Vault's "Object identifiers" docs);
// versions are 32 hex digits.
const namePattern = "[0-9A-Za-z-]{1,127}";
const versioned = new RegExp(`^/keys/(${namePattern})/([0-9A-Fa-f]{32})$`);
const versionless = new RegExp(`^/keys/(${namePattern})/?$`);

/**
 * Parses a versioned key id, or says what is wrong with the text. A
 * versionless id is refused rather than resolved to the latest version: the
 * certificate the stack attached was issued for one version, and a vault
 * key renewed since would sign with a key the tenant does not know; the
 * outputs' `keyVaultKeyId` is always versioned.
 */
export function parseKeyVaultKeyId(text: string): KeyVaultKeyId | KeyIdProblem {
  if (text.length > 400 || /\s/.test(text)) return "not-a-key-id";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not-a-key-id";
  }
  if (url.protocol !== "https:" || url.username || url.password || url.search || url.hash || text.includes("?"))
    return "not-a-key-id";
  // Key Vault's hosts, or a loopback vault (the local Key Vault): verify sends the signing identity's token to this
  // host, so an id on any other host is refused before a credential is asked for anything.
  if (!isAzureVaultHost(url.origin) && !isLoopbackHost(url.origin)) return "not-a-vault-host";
  const match = versioned.exec(url.pathname);
  if (match?.[1] && match[2])
    return { id: text, vaultUrl: url.origin, name: match[1], version: match[2].toLowerCase() };
  return versionless.test(url.pathname) ? "no-version" : "not-a-key-id";
}

/** The one-line message for a key id that does not parse, naming `what` (the flag or the output). */
export function keyIdProblemMessage(what: string, problem: KeyIdProblem): string {
  if (problem === "not-a-vault-host")
    return `${what} is not on a Key Vault host (<vault>.vault.azure.net, the sovereign clouds' vault domains, or a loopback vault): verify sends the signing identity's token only to Key Vault`;
  return problem === "no-version"
    ? `${what} names a key without its version: give the versioned id (https://<vault>/keys/<name>/<32 hex digits>), as the stack's keyVaultKeyId output holds it; the certificate was issued for one version of the key`
    : `${what} is not a Key Vault key id (https://<vault>/keys/<name>/<32 hex digits>)`;
}
