import { createCipheriv, createHash, createHmac, createPrivateKey, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { pkcs12Kdf as commonKdf } from "../common/pkcs12";

/**
 * How the PFX is protected.
 * - `aes256`: what OpenSSL 3 writes by default (`openssl pkcs12 -export`): PBES2 with PBKDF2-HMAC-SHA256 and
 *   AES-256-CBC for both bags, 2048 iterations, and a SHA-256 MAC (openssl-pkcs12(1), "-keypbe", "-macalg").
 * - `legacy3des`: pbeWithSHAAnd3-KeyTripleDES-CBC for both bags and a SHA-1 MAC, as `openssl pkcs12 -legacy`
 *   minus RC2 (3DES for the certificate too, as Windows' `TripleDES_SHA1` export option writes). Windows
 *   before Server 2019 / Windows 10 1709 cannot read PBES2/AES PFX files.
 */
export const pfxEncryptions = ["aes256", "legacy3des"] as const;
export type PfxEncryption = (typeof pfxEncryptions)[number];

/** OpenSSL 3's default iteration count for both key derivation and MAC. */
const iterations = 2048;

const oid = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  localKeyId: "1.2.840.113549.1.9.21",
  // RFC 7292 Appendix C.
  pbeWithSha1And3KeyTripleDesCbc: "1.2.840.113549.1.12.1.3",
};

/**
 * A PKCS#12 file holding the certificate and its private key, base64. pkijs (PeculiarVentures, the
 * family of @peculiar/x509) builds the ASN.1 and does PBES2/MAC over WebCrypto; node:crypto supplies
 * 3DES for the legacy form, which pkijs does not implement.
 *
 * Stable: every salt and IV comes from an HMAC-SHA256 stream keyed by the key, certificate and password,
 * so the same inputs give the same bytes and `pulumi up` shows no change. Salts stay unique per key and
 * password, which is what they are for; nothing else needs randomness.
 */
export async function buildPfx(
  certificatePem: string,
  privateKeyPem: string,
  password: string,
  encryption: PfxEncryption = "aes256",
): Promise<string> {
  const certDer = new X509Certificate(certificatePem).raw;
  const keyDer = createPrivateKey(privateKeyPem).export({ format: "der", type: "pkcs8" });
  const engine = new SeededEngine(
    createHash("sha256").update(keyDer).update(certDer).update(password, "utf8").digest(),
  );
  // Links the key to its certificate; Windows' import pairs them by it.
  const keyId = new pkijs.Attribute({
    type: oid.localKeyId,
    values: [new asn1js.OctetString({ valueHex: createHash("sha1").update(certDer).digest() })],
  });
  const certBag = new pkijs.SafeBag({
    bagId: oid.certBag,
    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(certDer) }),
    bagAttributes: [keyId],
  });
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(keyDer) });
  const passwordBytes = Uint8Array.from(Buffer.from(password, "utf8")).buffer;
  const authenticatedSafe =
    encryption === "aes256"
      ? await modernSafe(certBag, keyBag, keyId, passwordBytes, engine)
      : legacySafe(certBag, keyBag, keyDer, keyId, password, engine);
  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  const mac = encryption === "aes256" ? "SHA-256" : "SHA-1";
  await pfx.makeInternalValues(
    { password: passwordBytes, iterations, pbkdf2HashAlgorithm: mac, hmacHashAlgorithm: mac },
    engine,
  );
  return Buffer.from(pfx.toSchema().toBER(false)).toString("base64");
}

async function modernSafe(
  certBag: pkijs.SafeBag,
  keyBag: pkijs.PKCS8ShroudedKeyBag,
  keyId: pkijs.Attribute,
  password: ArrayBuffer,
  engine: pkijs.ICryptoEngine,
): Promise<pkijs.AuthenticatedSafe> {
  const pbes2 = {
    password,
    contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
    hmacHashAlgorithm: "SHA-256",
    iterationCount: iterations,
  };
  await keyBag.makeInternalValues(pbes2, engine);
  const safe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: [certBag] }) },
        { privacyMode: 0, value: keySafe(keyBag, keyId) },
      ],
    },
  });
  await safe.makeInternalValues({ safeContents: [pbes2, {}] }, engine);
  return safe;
}

function legacySafe(
  certBag: pkijs.SafeBag,
  keyBag: pkijs.PKCS8ShroudedKeyBag,
  keyDer: Buffer,
  keyId: pkijs.Attribute,
  password: string,
  engine: SeededEngine,
): pkijs.AuthenticatedSafe {
  const encryptedKey = tripleDes(keyDer, password, engine);
  keyBag.encryptionAlgorithm = encryptedKey.algorithm;
  keyBag.encryptedData = new asn1js.OctetString({ valueHex: encryptedKey.ciphertext });
  const certs = tripleDes(
    Buffer.from(new pkijs.SafeContents({ safeBags: [certBag] }).toSchema().toBER(false)),
    password,
    engine,
  );
  const encryptedCerts = new pkijs.EncryptedData({
    version: 0,
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: oid.data,
      contentEncryptionAlgorithm: certs.algorithm,
      encryptedContent: new asn1js.OctetString({ valueHex: certs.ciphertext }),
    }),
  });
  const keys = Buffer.from(keySafe(keyBag, keyId).toSchema().toBER(false));
  return new pkijs.AuthenticatedSafe({
    safeContents: [
      new pkijs.ContentInfo({ contentType: oid.encryptedData, content: encryptedCerts.toSchema() }),
      new pkijs.ContentInfo({ contentType: oid.data, content: new asn1js.OctetString({ valueHex: keys }) }),
    ],
    parsedValue: { safeContents: [] },
  });
}

function keySafe(keyBag: pkijs.PKCS8ShroudedKeyBag, keyId: pkijs.Attribute): pkijs.SafeContents {
  return new pkijs.SafeContents({
    safeBags: [new pkijs.SafeBag({ bagId: oid.keyBag, bagValue: keyBag, bagAttributes: [keyId] })],
  });
}

/** pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix B and C): key and IV from the PKCS#12 KDF over SHA-1. */
function tripleDes(plain: Buffer, password: string, engine: SeededEngine) {
  const salt = Buffer.from(engine.getRandomValues(new Uint8Array(8)));
  const key = pkcs12Kdf(password, salt, 1, 24);
  const iv = pkcs12Kdf(password, salt, 2, 8);
  const cipher = createCipheriv("des-ede3-cbc", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: oid.pbeWithSha1And3KeyTripleDesCbc,
    algorithmParams: new asn1js.Sequence({
      value: [new asn1js.OctetString({ valueHex: salt }), new asn1js.Integer({ value: iterations })],
    }),
  });
  return { algorithm, ciphertext };
}

/** The PKCS#12 key derivation (RFC 7292 Appendix B.2) at this module's iteration count; see common/pkcs12.ts. */
export const pkcs12Kdf = (password: string, salt: Buffer, id: 1 | 2 | 3, length: number): Buffer =>
  commonKdf(password, salt, iterations, id, length);

/** pkijs' WebCrypto engine, with randomness drawn from a keyed HMAC stream so that output is reproducible. */
class SeededEngine extends pkijs.CryptoEngine {
  private counter = 0;

  constructor(private readonly seed: Buffer) {
    super({ name: "node", crypto: globalThis.crypto });
  }

  override getRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (array === null) return array;
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let filled = 0; filled < view.length; filled += 32) {
      const block = createHmac("sha256", this.seed)
        .update(String(this.counter++))
        .digest();
      view.set(block.subarray(0, view.length - filled), filled);
    }
    return array;
  }
}
