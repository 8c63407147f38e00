import { createPrivateKey, generateKeyPairSync, KeyObject, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "../../common/x509";
import { keyPool } from "./keyPool";

export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
  key: KeyObject;
}

/** A real client certificate and its key, as a CA or OpenSSL would make them. */
export async function makeCertificate(
  options: { notBefore?: Date; notAfter?: Date; keyType?: "rsa" | "ec"; subject?: string } = {},
  key: () => KeyObject = nextKey,
): Promise<TestCertificate> {
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 60_000);
  const notAfter = options.notAfter ?? new Date(now + 30 * 86_400_000);
  const subject = options.subject ?? "CN=test client";
  if (options.keyType === "ec") return ecCertificate(subject, notBefore, notAfter);
  const privateKey = key();
  const certificatePem = await issueCertificate({
    key: privateKey,
    subject,
    notBefore,
    notAfter,
    keyUsages: KeyUsageFlags.digitalSignature,
    extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
  });
  return {
    certificatePem,
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    key: privateKey,
  };
}

/**
 * Certificates on one key (the holder's, from the run's pool), with the dates a test chooses and subjects
 * `CN=brought 1`, `2`, …: for tests that bring several certificates and care only about their dates.
 */
export function oneKeyCertificates(): {
  holder: Promise<TestCertificate>;
  certificate(notAfter: Date, notBefore?: Date): Promise<string>;
} {
  const holder = makeCertificate();
  let serial = 0;
  const certificate = async (notAfter: Date, notBefore?: Date) => {
    const { key } = await holder;
    const subject = `CN=brought ${++serial}`;
    return (await makeCertificate({ notAfter, notBefore, subject }, () => key)).certificatePem;
  };
  return { holder, certificate };
}

async function ecCertificate(subject: string, notBefore: Date, notAfter: Date): Promise<TestCertificate> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: subject,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
  });
  const key = KeyObject.from(keys.privateKey);
  const privateKeyPem = key.export({ format: "pem", type: "pkcs8" }).toString();
  return { certificatePem: cert.toString("pem"), privateKeyPem, key };
}

/**
 * RSA keys from the run's pool (see keyPool.ts), taken in turn: consecutive
 * certificates in a file always have different keys, as a test of a
 * mismatched key needs, and never the program's generated key. Outside
 * vitest's run, a fresh key.
 */
let taken = 0;
function nextKey(): KeyObject {
  const pool = keyPool("certificates");
  return keyOf(pool[taken++ % Math.max(pool.length, 1)]);
}

const keyOf = (pem: string | undefined): KeyObject =>
  pem ? createPrivateKey(pem) : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

let shared: Promise<TestCertificate> | undefined;
/**
 * One certificate for the worker's test files (they share modules), for tests that only read it. Its key is one of
 * its own (see keyPool.ts): no certificate makeCertificate makes has it, however many a worker makes.
 */
export const sharedCertificate = (): Promise<TestCertificate> => {
  shared ??= makeCertificate({}, () => keyOf(keyPool("shared")[0]));
  return shared;
};
