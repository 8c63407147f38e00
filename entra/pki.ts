import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { x5t } from "../common/thumbprint";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "./x509";

/** The local Entra ID's key material: its CA, TLS identity and token-signing key. */
export interface Pki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  signingCertPem: string;
  signingKeyPem: string;
}

/** Where the key material lives: `ca.pem` beside the state file, private keys in a 0600 file. */
export function pkiPaths(statePath: string) {
  const dir = dirname(statePath);
  return { caPath: join(dir, "ca.pem"), keysPath: `${statePath}.keys.json` };
}

/**
 * Loads the key material kept beside the state file, or makes it on first
 * start. Kept so that a client that trusted the CA once keeps trusting it,
 * and tokens issued before a restart still verify.
 */
export async function loadOrCreatePki(statePath: string): Promise<Pki & { caPath: string }> {
  const { caPath, keysPath } = pkiPaths(statePath);
  if (existsSync(caPath) && existsSync(keysPath)) {
    const keys = JSON.parse(readFileSync(keysPath, "utf8")) as Omit<Pki, "caPem">;
    return { ...keys, caPem: readFileSync(caPath, "utf8"), caPath };
  }
  const pki = await createPki();
  mkdirSync(dirname(statePath), { recursive: true });
  writeFileSync(caPath, pki.caPem);
  const { caPem: _ca, ...keys } = pki;
  writeFileSync(keysPath, JSON.stringify(keys, null, 2), { mode: 0o600 });
  chmodSync(keysPath, 0o600);
  return { ...pki, caPath };
}

/** Fresh key material: a CA, a server certificate it issues for localhost, and a signing key. */
export async function createPki(now = new Date()): Promise<Pki> {
  const years = (n: number) => new Date(now.getTime() + n * 365 * 86400_000);
  const notBefore = new Date(now.getTime() - 60_000);
  const caKey = rsaKey();
  const caName = "CN=entra-cert-auth local Entra ID CA";
  const caPem = await issueCertificate({
    key: caKey,
    subject: caName,
    notBefore,
    notAfter: years(10),
    ca: true,
    keyUsages: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
  });
  const serverKey = rsaKey();
  const serverCertPem = await issueCertificate({
    key: serverKey,
    subject: "CN=localhost",
    notBefore,
    notAfter: years(2),
    issuer: { key: caKey, name: caName },
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    keyUsages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment,
    extendedKeyUsages: [ExtendedKeyUsage.serverAuth],
  });
  const signingKey = rsaKey();
  const signingCertPem = await issueCertificate({
    key: signingKey,
    subject: "CN=entra-cert-auth local token signing",
    notBefore,
    notAfter: years(5),
    keyUsages: KeyUsageFlags.digitalSignature,
  });
  return { caPem, serverCertPem, serverKeyPem: pem(serverKey), signingCertPem, signingKeyPem: pem(signingKey) };
}

const rsaKey = (): KeyObject => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const pem = (key: KeyObject) => key.export({ format: "pem", type: "pkcs8" }).toString();

/** base64url SHA-1 of a certificate's DER: the `x5t` and `kid` Entra ID publishes. */
export function x5tOf(certificatePem: string): string {
  return x5t(certificatePem);
}
