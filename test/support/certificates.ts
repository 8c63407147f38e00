import { createPrivateKey, generateKeyPairSync, KeyObject, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { inject } from "vitest";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "../../common/x509";

export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
  key: KeyObject;
}

/** A real client certificate and its key, as a CA or OpenSSL would make them. */
export async function makeCertificate(
  options: { notBefore?: Date; notAfter?: Date; keyType?: "rsa" | "ec"; subject?: string } = {},
): Promise<TestCertificate> {
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 60_000);
  const notAfter = options.notAfter ?? new Date(now + 30 * 86_400_000);
  const subject = options.subject ?? "CN=test client";
  if (options.keyType === "ec") return ecCertificate(subject, notBefore, notAfter);
  const key = nextKey();
  const certificatePem = await issueCertificate({
    key,
    subject,
    notBefore,
    notAfter,
    keyUsages: KeyUsageFlags.digitalSignature,
    extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
  });
  return { certificatePem, privateKeyPem: key.export({ format: "pem", type: "pkcs8" }).toString(), key };
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
 * RSA keys from the run's pool (made once by the globalSetup), taken in turn:
 * consecutive certificates in a file always have different keys, as a test
 * of a mismatched key needs. Outside vitest's run, a fresh key.
 */
let taken = 0;
function nextKey(): KeyObject {
  const pool = poolOf();
  const pem = pool[taken++ % Math.max(pool.length, 1)];
  return pem ? createPrivateKey(pem) : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
}

function poolOf(): string[] {
  try {
    return inject("rsaKeys") ?? [];
  } catch {
    return [];
  }
}

let shared: Promise<TestCertificate> | undefined;
/** One certificate for the worker's test files (they share modules), for tests that only read it. */
export const sharedCertificate = (): Promise<TestCertificate> => {
  shared ??= makeCertificate();
  return shared;
};
