import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isCertificate } from "../common/certificate";
import { createLoopbackTls, pkcs8Pem, rsaKey } from "../common/loopbackTls";
import { x5t } from "../common/thumbprint";
import { issueCertificate, KeyUsageFlags } from "../common/x509";
import { LocalEntraError } from "./errors";

/** The local Entra ID's key material: its CA, TLS identity and token-signing key. */
export interface Pki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  signingCertPem: string;
  signingKeyPem: string;
}

/**
 * Where the key material lives: the private keys (and a copy of the CA) in a
 * 0600 file beside the state file; the CA that clients trust in `ca.pem`
 * beside it, or, when that `ca.pem` already holds another CA (another state
 * file in the same folder made it), in `<state>.ca.pem`. No start ever
 * overwrites a `ca.pem` that holds another CA: a client trusting it would
 * stop trusting the server that made it.
 */
export function pkiPaths(statePath: string) {
  const dir = dirname(statePath);
  return { caPath: join(dir, "ca.pem"), ownCaPath: `${statePath}.ca.pem`, keysPath: `${statePath}.keys.json` };
}

/** Key material to use; `save()` writes what is new or missing and returns the CA file's path. */
export interface LoadedPki {
  pki: Pki;
  save(): string;
}

/**
 * Loads the key material kept beside the state file, or makes it on first
 * start. Kept so that a client that trusted the CA once keeps trusting it,
 * and tokens issued before a restart still verify.
 */
export async function loadOrCreatePki(statePath: string): Promise<Pki & { caPath: string }> {
  const { pki, save } = await loadPki(statePath);
  return { ...pki, caPath: save() };
}

/**
 * Reads and checks the key material, or makes it in memory, writing nothing:
 * a start that is refused afterwards leaves the folder as it was.
 */
export async function loadPki(statePath: string): Promise<LoadedPki> {
  const { keysPath } = pkiPaths(statePath);
  if (!existsSync(keysPath)) {
    const pki = await createPki();
    return { pki, save: () => saveKeys(statePath, pki) };
  }
  const { pki, complete } = readKeys(statePath);
  // Key files written before the CA was kept in them are completed on save.
  return { pki, save: () => (complete ? saveCa(statePath, pki.caPem) : saveKeys(statePath, pki)) };
}

function readKeys(statePath: string): { pki: Pki; complete: boolean } {
  const { caPath, keysPath } = pkiPaths(statePath);
  const refuse = (what: string) =>
    new LocalEntraError(
      "ERR_KEYS_INVALID",
      `${keysPath} ${what}; delete it to make new key material (clients must then trust the new CA file)`,
    );
  let keys: Record<string, unknown>;
  try {
    keys = JSON.parse(readFileSync(keysPath, "utf8"));
  } catch {
    throw refuse("is not valid JSON");
  }
  const names = ["serverCertPem", "serverKeyPem", "signingCertPem", "signingKeyPem"] as const;
  if (keys === null || typeof keys !== "object" || names.some((n) => typeof keys[n] !== "string"))
    throw refuse(`does not hold ${names.join(", ")}`);
  // Older key files kept the CA in ca.pem only.
  const caPem = keys.caPem ?? (existsSync(caPath) ? readFileSync(caPath, "utf8") : undefined);
  if (typeof caPem !== "string") throw refuse(`holds no CA and there is no ${caPath}`);
  const text = (name: (typeof names)[number]) => keys[name] as string;
  const pki = {
    caPem,
    serverCertPem: text("serverCertPem"),
    serverKeyPem: text("serverKeyPem"),
    signingCertPem: text("signingCertPem"),
    signingKeyPem: text("signingKeyPem"),
  };
  try {
    createPrivateKey(pki.serverKeyPem);
    createPrivateKey(pki.signingKeyPem);
  } catch {
    throw refuse("holds a key or certificate that does not parse");
  }
  if (!isCertificate(pki.signingCertPem)) throw refuse("holds a key or certificate that does not parse");
  if (!issued(pki.caPem, pki.serverCertPem))
    throw refuse(
      keys.caPem === undefined
        ? `holds a server certificate that ${caPath} did not issue (another start overwrote ca.pem)`
        : "holds a server certificate its CA did not issue",
    );
  return { pki, complete: keys.caPem !== undefined };
}

/** Whether `caPem` parses and issued (and signed) `certPem`. */
function issued(caPem: string, certPem: string): boolean {
  try {
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(certPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

function saveKeys(statePath: string, pki: Pki): string {
  const { keysPath } = pkiPaths(statePath);
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(keysPath, JSON.stringify(pki, null, 2), { mode: 0o600 });
  chmodSync(keysPath, 0o600);
  return saveCa(statePath, pki.caPem);
}

/**
 * Writes the CA where clients find it: `ca.pem` if it is free or already
 * this CA, else `<state>.ca.pem`, which belongs to this state file alone.
 */
function saveCa(statePath: string, caPem: string): string {
  const { caPath, ownCaPath } = pkiPaths(statePath);
  const holds = (path: string) => existsSync(path) && readFileSync(path, "utf8") === caPem;
  if (holds(caPath)) return caPath;
  if (!existsSync(caPath)) {
    try {
      writeFileSync(caPath, caPem, { flag: "wx" });
      return caPath;
    } catch (err) {
      // Another server made ca.pem between the check and the write: it is theirs.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  if (!holds(ownCaPath)) writeFileSync(ownCaPath, caPem);
  return ownCaPath;
}

/** Fresh key material: a CA, a server certificate it issues for localhost, and a signing key. */
export async function createPki(now = new Date()): Promise<Pki> {
  const years = (n: number) => new Date(now.getTime() + n * 365 * 86400_000);
  const notBefore = new Date(now.getTime() - 60_000);
  // Made in parallel off the event loop (libuv's pool), not one after another on it.
  const [tls, signingKey] = await Promise.all([
    createLoopbackTls("CN=entra-cert-auth local Entra ID CA", now),
    rsaKey(),
  ]);
  const signingCertPem = await issueCertificate({
    key: signingKey,
    subject: "CN=entra-cert-auth local token signing",
    notBefore,
    notAfter: years(5),
    keyUsages: KeyUsageFlags.digitalSignature,
  });
  return { ...tls, signingCertPem, signingKeyPem: pkcs8Pem(signingKey) };
}

/** base64url SHA-1 of a certificate's DER: the `x5t` and `kid` Entra ID publishes. */
export function x5tOf(certificatePem: string): string {
  return x5t(certificatePem);
}
