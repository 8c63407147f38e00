import { createPrivateKey, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createLoopbackTls } from "../common/loopbackTls";
import { LocalKeyVaultError } from "./errors";

/** The vault's TLS identity: its own CA and the server certificate it issued for localhost and 127.0.0.1. */
export interface VaultPki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/**
 * `<state>.ca.pem` (what clients trust; never the local Entra ID's `ca.pem`, which may sit in the same folder)
 * and `<state>.tls.json` (the server key, 0600).
 */
export const pkiPaths = (statePath: string) => ({ caPath: `${statePath}.ca.pem`, keysPath: `${statePath}.tls.json` });

/** Key material to use; `save()` writes what is new and returns the CA file's path. */
export interface LoadedPki {
  pki: VaultPki;
  save(): string;
}

/**
 * Reads the TLS material kept beside the state file, or makes it in memory, writing nothing: a start that
 * is refused afterwards leaves the folder as it was. Kept across restarts so that a client that trusted
 * the CA once keeps trusting it.
 */
export async function loadPki(statePath: string): Promise<LoadedPki> {
  const { caPath, keysPath } = pkiPaths(statePath);
  const pki = existsSync(keysPath) ? readPki(keysPath) : await createPki();
  return {
    pki,
    save: () => {
      mkdirSync(dirname(statePath), { recursive: true });
      writeFileSync(keysPath, JSON.stringify(pki, null, 2), { mode: 0o600 });
      chmodSync(keysPath, 0o600);
      if (!existsSync(caPath) || readFileSync(caPath, "utf8") !== pki.caPem) writeFileSync(caPath, pki.caPem);
      return caPath;
    },
  };
}

function readPki(keysPath: string): VaultPki {
  const refuse = (what: string) =>
    new LocalKeyVaultError(
      "ERR_KEYS_INVALID",
      `${keysPath} ${what}; delete it to make a new CA and server certificate (clients must then trust the new CA file)`,
    );
  let keys: Record<string, unknown>;
  try {
    keys = JSON.parse(readFileSync(keysPath, "utf8"));
  } catch {
    throw refuse("is not valid JSON");
  }
  const { caPem, serverCertPem, serverKeyPem } = keys ?? {};
  if (typeof caPem !== "string" || typeof serverCertPem !== "string" || typeof serverKeyPem !== "string")
    throw refuse("does not hold caPem, serverCertPem, serverKeyPem");
  try {
    createPrivateKey(serverKeyPem);
    const ca = new X509Certificate(caPem);
    const cert = new X509Certificate(serverCertPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error("not issued");
  } catch {
    throw refuse("holds a key or certificate that does not parse, or a server certificate its CA did not issue");
  }
  return { caPem, serverCertPem, serverKeyPem };
}

/** A fresh CA and a server certificate for localhost and 127.0.0.1. */
export function createPki(now = new Date()): Promise<VaultPki> {
  return createLoopbackTls("CN=entra-cert-auth local Key Vault CA", now);
}
