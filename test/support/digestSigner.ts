import { constants, createHash, type KeyObject, privateEncrypt, randomBytes } from "node:crypto";
import type { AssertionAlgorithm, DigestSigner } from "../../verify/assertion";

// DER of DigestInfo's AlgorithmIdentifier for SHA-256 (RFC 8017 §9.2, note 1).
const sha256DigestInfo = Buffer.from("3031300d060960864801650304020105000420", "hex");

/**
 * Signs a SHA-256 digest with a local RSA key as Key Vault's `sign` does:
 * RS256 is PKCS#1 v1.5 over DigestInfo; PS256 is EMSA-PSS with MGF1-SHA256
 * and a 32-byte salt (RFC 8017 §9.1.1), encoded here because node:crypto
 * signs only messages, not digests. Real crypto: the result verifies with
 * node:crypto's verify and at the authority.
 */
export function localDigestSigner(key: KeyObject, calls: AssertionAlgorithm[] = []): DigestSigner {
  return async (algorithm, digest) => {
    calls.push(algorithm);
    const hash = Buffer.from(digest);
    if (algorithm === "RS256")
      return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([sha256DigestInfo, hash]));
    const modBits = key.asymmetricKeyDetails?.modulusLength ?? 2048;
    return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, emsaPss(hash, modBits - 1));
  };
}

function emsaPss(mHash: Buffer, emBits: number): Buffer {
  const hLen = 32;
  const sLen = 32;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(sLen);
  const h = createHash("sha256")
    .update(Buffer.concat([Buffer.alloc(8), mHash, salt]))
    .digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, emLen - hLen - 1);
  const masked = Buffer.from(db.map((b, i) => b ^ (mask[i] ?? 0)));
  masked[0] = (masked[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([masked, h, Buffer.from([0xbc])]);
  // RSA_NO_PADDING takes exactly the modulus' length.
  return em.length < Math.ceil((emBits + 1) / 8) ? Buffer.concat([Buffer.alloc(1), em]) : em;
}

function mgf1(seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0; out.length * 32 < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(createHash("sha256").update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}
