import { createPublicKey, generateKeyPair, type KeyObject, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import * as x509 from "@peculiar/x509";
import { issueCertificate } from "../common/x509";
import { keyUsageFlag, type Policy } from "./policy";
import type { CertificateVersion } from "./store";

/** What a completed create adds: a new RSA key (node:crypto) and the self-signed certificate the policy describes. */
export interface Issued {
  version: CertificateVersion;
  /** The certificate signing request of the pending operation, base64 DER. */
  csr: string;
}

/** A version id as Key Vault's: 32 lowercase hex digits. */
export const newVersion = () => randomBytes(16).toString("hex");

const addMonths = (date: Date, months: number) => {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
};

/** Issues a certificate version for the policy at `now` (the vault's clock). */
export async function issue(
  policy: Policy,
  now: Date,
  extra: { enabled: boolean; tags?: Record<string, string> },
): Promise<Issued> {
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: policy.key_props.key_size });
  const props = policy.x509_props;
  // Key Vault backdates a self-signed certificate's notBefore by 5 minutes against clock skew.
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 300_000);
  const notAfter = addMonths(new Date(Math.floor(now.getTime() / 1000) * 1000), props.validity_months);
  const pem = await issueCertificate({
    key: privateKey,
    subject: props.subject,
    notBefore,
    notAfter,
    keyUsages: props.key_usage.reduce<number>((flags, u) => flags | keyUsageFlag[u], 0),
    extendedKeyUsages: props.ekus,
    dnsNames: props.sans?.dns_names,
  });
  const cert = new X509Certificate(pem);
  const seconds = Math.floor(now.getTime() / 1000);
  return {
    csr: await csrOf(privateKey, props.subject),
    version: {
      version: newVersion(),
      created: seconds,
      updated: seconds,
      nbf: Math.floor(new Date(cert.validFrom).getTime() / 1000),
      exp: Math.floor(new Date(cert.validTo).getTime() / 1000),
      enabled: extra.enabled,
      policy,
      cer: cert.raw.toString("base64"),
      privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      ...(extra.tags ? { tags: extra.tags } : {}),
    },
  };
}

const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

async function csrOf(key: KeyObject, subject: string): Promise<string> {
  const privateKey = await webcrypto.subtle.importKey(
    "pkcs8",
    key.export({ format: "der", type: "pkcs8" }),
    rsa,
    false,
    ["sign"],
  );
  const publicKey = await webcrypto.subtle.importKey(
    "spki",
    createPublicKey(key).export({ format: "der", type: "spki" }),
    rsa,
    true,
    ["verify"],
  );
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys: { privateKey, publicKey },
    signingAlgorithm: rsa,
  });
  return Buffer.from(csr.rawData).toString("base64");
}
