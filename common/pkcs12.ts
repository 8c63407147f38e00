import { createHash } from "node:crypto";

/**
 * The PKCS#12 key derivation with SHA-1 (RFC 7292 Appendix B.2): `id` 1
 * derives a key, 2 an IV. The password is a BMPString (UTF-16BE) with a
 * two-byte terminator (Appendix B.1).
 */
export function pkcs12Kdf(password: string, salt: Buffer, iterations: number, id: 1 | 2 | 3, size: number): Buffer {
  const u = 20;
  const v = 64;
  const bmp = Buffer.concat([Buffer.from(password, "utf16le").swap16(), Buffer.alloc(2)]);
  const fill = (b: Buffer, length: number) => Buffer.from(Array.from({ length }, (_, i) => b.readUInt8(i % b.length)));
  const blocks = (b: Buffer) => v * Math.ceil(b.length / v);
  const I = Buffer.concat([fill(salt, blocks(salt)), fill(bmp, blocks(bmp))]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; produced += u) {
    let A = createHash("sha1").update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash("sha1").update(A).digest();
    out.push(A);
    const B = fill(A, v);
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I.readUInt8(j + k) + B.readUInt8(k) + carry;
        I.writeUInt8(sum & 0xff, j + k);
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}
