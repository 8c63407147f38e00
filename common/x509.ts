import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** What a certificate should say; the key pair signs it unless an issuer is given. */
export interface CertificateRequest {
  /** The certified key (its public half goes into the certificate). */
  key: KeyObject;
  /** Distinguished name, e.g. "CN=localhost". */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Signs the certificate; omitted means self-signed. */
  issuer?: { key: KeyObject; name: string };
  keyUsages?: x509.KeyUsageFlags;
  extendedKeyUsages?: string[];
  ca?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A real X.509 certificate, PEM, signed with RSASSA-PKCS1-v1_5 SHA-256. */
export async function issueCertificate(req: CertificateRequest): Promise<string> {
  const signer = req.issuer?.key ?? req.key;
  const cert = await x509.X509CertificateGenerator.create({
    // A positive 16-byte serial, as CAs issue them.
    serialNumber: `01${randomBytes(15).toString("hex")}`,
    subject: req.subject,
    issuer: req.issuer?.name ?? req.subject,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
    signingAlgorithm: rsa,
    publicKey: await importPublic(req.key),
    signingKey: await importPrivate(signer),
    extensions: extensions(req),
  });
  return cert.toString("pem");
}

function extensions(req: CertificateRequest): x509.Extension[] {
  const list: x509.Extension[] = [new x509.BasicConstraintsExtension(req.ca ?? false, undefined, true)];
  if (req.keyUsages !== undefined) list.push(new x509.KeyUsagesExtension(req.keyUsages, true));
  if (req.extendedKeyUsages?.length) list.push(new x509.ExtendedKeyUsageExtension(req.extendedKeyUsages, false));
  const names = [
    ...(req.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length) list.push(new x509.SubjectAlternativeNameExtension(names, false));
  return list;
}

async function importPrivate(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const der = key.export({ format: "der", type: "pkcs8" });
  return webcrypto.subtle.importKey("pkcs8", der, rsa, false, ["sign"]);
}

async function importPublic(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const der = createPublicKey(key).export({ format: "der", type: "spki" });
  return webcrypto.subtle.importKey("spki", der, rsa, true, ["verify"]);
}

/** Parses a PEM private key (PKCS#1 or PKCS#8). */
export const privateKeyOf = (pem: string): KeyObject => createPrivateKey(pem);

export const { KeyUsageFlags } = x509;
export const ExtendedKeyUsage = x509.ExtendedKeyUsage;
