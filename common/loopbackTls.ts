import { generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "./x509";

/** A local server's TLS identity: its own CA and the server certificate that CA issued for localhost and 127.0.0.1. */
export interface LoopbackTls {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

/** A fresh RSA 2048 key, made off the event loop (libuv's pool). */
export const rsaKey = async (): Promise<KeyObject> =>
  (await promisify(generateKeyPair)("rsa", { modulusLength: 2048 })).privateKey;

/** A private key as PKCS#8 PEM. */
export const pkcs8Pem = (key: KeyObject): string => key.export({ format: "pem", type: "pkcs8" }).toString();

/**
 * A fresh CA named `caName` (10 years) and a server certificate it issues for localhost and 127.0.0.1
 * (2 years), both valid from a minute before `now`.
 */
export async function createLoopbackTls(caName: string, now = new Date()): Promise<LoopbackTls> {
  const years = (n: number) => new Date(now.getTime() + n * 365 * 86400_000);
  const notBefore = new Date(now.getTime() - 60_000);
  // Made in parallel, not one after another.
  const [caKey, serverKey] = await Promise.all([rsaKey(), rsaKey()]);
  const caPem = await issueCertificate({
    key: caKey,
    subject: caName,
    notBefore,
    notAfter: years(10),
    ca: true,
    keyUsages: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
  });
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
  return { caPem, serverCertPem, serverKeyPem: pkcs8Pem(serverKey) };
}
