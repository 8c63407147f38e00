import { constants, createHash, type KeyObject, privateEncrypt, randomBytes } from "node:crypto";
import { akv } from "./errors";

/**
 * The signature algorithms of `POST /keys/{name}/{version}/sign` for RSA keys (Key Vault REST
 * "JsonWebKeySignatureAlgorithm"): the client sends the digest, the vault signs it as it is.
 */
const hashes = {
  RS256: { hash: "sha256", length: 32 },
  RS384: { hash: "sha384", length: 48 },
  RS512: { hash: "sha512", length: 64 },
  PS256: { hash: "sha256", length: 32 },
  PS384: { hash: "sha384", length: 48 },
  PS512: { hash: "sha512", length: 64 },
} as const;
export type SignAlgorithm = keyof typeof hashes;

export const isSignAlgorithm = (value: unknown): value is SignAlgorithm =>
  typeof value === "string" && Object.hasOwn(hashes, value);

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const digestInfo = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
} as const;

/**
 * Signs a digest. node:crypto's `sign` hashes its input itself, so the encodings are built here:
 * RSASSA-PKCS1-v1_5 is DigestInfo under PKCS#1 type 1 padding (privateEncrypt), RSASSA-PSS is
 * EMSA-PSS (RFC 8017 §9.1.1, MGF1 with the same hash, salt as long as the hash, as JWS requires)
 * under the raw RSA operation.
 */
export function signDigest(key: KeyObject, alg: SignAlgorithm, digest: Buffer): Buffer {
  const { hash, length } = hashes[alg];
  // The service's words, quoted in Azure/azure-sdk-for-python#4399 ("Invalid length of 'value': 44 bytes. ES256
  // requires 32 bytes, encoded with base64url.").
  if (digest.length !== length)
    throw akv.badParameter(
      `Invalid length of 'value': ${digest.length} bytes. ${alg} requires ${length} bytes, encoded with base64url.`,
    );
  if (alg.startsWith("RS"))
    return privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([Buffer.from(digestInfo[hash], "hex"), digest]),
    );
  const modulusBits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  const em = emsaPss(digest, hash, modulusBits - 1);
  const k = Math.ceil(modulusBits / 8);
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

function emsaPss(mHash: Buffer, hash: string, emBits: number): Buffer {
  const hLen = mHash.length;
  const sLen = hLen;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(sLen);
  const h = createHash(hash)
    .update(Buffer.concat([Buffer.alloc(8), mHash, salt]))
    .digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db.writeUInt8(db.readUInt8(i) ^ mask.readUInt8(i), i);
  db.writeUInt8(db.readUInt8(0) & (0xff >> (8 * emLen - emBits)), 0);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function mgf1(seed: Buffer, length: number, hash: string): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0, size = 0; size < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    size += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}
