import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { CertificateVersion } from "./store";

const oid = {
  keyBag: "1.2.840.113549.1.12.10.1.1",
  certBag: "1.2.840.113549.1.12.10.1.3",
  localKeyId: "1.2.840.113549.1.9.21",
};

/**
 * The value of a certificate's secret, in the policy's content type: a PFX (base64, empty password, as
 * Key Vault's certificate secrets are) or PEM. The private key is in it only when the key is exportable;
 * a non-exportable certificate's secret holds the certificate alone ("If the policy indicates that the key is
 * non-exportable, then the private key isn't a part of the value when it's retrieved as a secret", Key Vault docs,
 * about-certificates#exportable-or-non-exportable-key). The service answers such a get with 200 and that value,
 * not a refusal: notaryproject/ratify#695 and #957 read the certificate chain from the secret of a certificate whose
 * key is made non-exportable for that reason, Azure/notation-azure-kv#92 does the same with the get-secret
 * permission, and Azure/azure-sdk-for-net#12083 (its maintainer) says a download of a non-exportable certificate
 * holds only the public key.
 */
export async function secretValue(v: CertificateVersion): Promise<string> {
  const certDer = Buffer.from(v.cer, "base64");
  const keyDer = v.policy.key_props.exportable
    ? createPrivateKey(v.privateKeyPem).export({ format: "der", type: "pkcs8" })
    : undefined;
  if (v.policy.secret_props.contentType === "application/x-pem-file") {
    const cert = new X509Certificate(certDer).toString();
    return keyDer ? `${createPrivateKey(v.privateKeyPem).export({ format: "pem", type: "pkcs8" })}${cert}` : cert;
  }
  return pfx(certDer, keyDer);
}

async function pfx(certDer: Buffer, keyDer: Buffer | undefined): Promise<string> {
  const engine = new pkijs.CryptoEngine({ name: "node", crypto: globalThis.crypto });
  const keyId = new pkijs.Attribute({
    type: oid.localKeyId,
    values: [new asn1js.OctetString({ valueHex: createHash("sha1").update(certDer).digest() })],
  });
  const bags: pkijs.SafeBag<pkijs.BagType>[] = [
    new pkijs.SafeBag({
      bagId: oid.certBag,
      bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(certDer) }),
      bagAttributes: [keyId],
    }),
  ];
  if (keyDer)
    bags.push(
      new pkijs.SafeBag<pkijs.BagType>({
        bagId: oid.keyBag,
        bagValue: pkijs.PrivateKeyInfo.fromBER(keyDer),
        bagAttributes: [keyId],
      }),
    );
  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: { safeContents: [{ privacyMode: 0, value: new pkijs.SafeContents({ safeBags: bags }) }] },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}] }, engine);
  const file = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await file.makeInternalValues(
    { password: new ArrayBuffer(0), iterations: 2048, pbkdf2HashAlgorithm: "SHA-256", hmacHashAlgorithm: "SHA-256" },
    engine,
  );
  return Buffer.from(file.toSchema().toBER(false)).toString("base64");
}
