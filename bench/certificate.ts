import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { issueCertificate, KeyUsageFlags } from "../common/x509";

/** A fresh RSA key and a day-long signing certificate for a bench client (benches measure, so no shared pool). */
export async function benchCertificate(): Promise<{ key: KeyObject; certificatePem: string }> {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const now = Date.now();
  const certificatePem = await issueCertificate({
    key,
    subject: "CN=bench",
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keyUsages: KeyUsageFlags.digitalSignature,
  });
  return { key, certificatePem };
}
