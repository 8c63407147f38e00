import { execFileSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import { EncryptedData, PFX } from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkcs12Kdf } from "../../common/pkcs12";
import { PreflightError } from "../../verify/errors";
import { readPfx } from "../../verify/pfx";
import { sharedCertificate } from "../support/certificates";

const password = "the-right-one";

/**
 * readPfx in-process on PFX files made once by openssl: a wrong password is
 * a preflight failure (exit 3) whatever bytes decryption happens to give.
 */
describe("readPfx and wrong passwords", () => {
  let dir: string;
  let noMac: Buffer;
  let withMac: Buffer;
  beforeAll(async () => {
    const cert = await sharedCertificate();
    dir = mkdtempSync(join(tmpdir(), "eca-verify-pfx-unit-"));
    const pem = join(dir, "client.pem");
    writeFileSync(pem, `${cert.certificatePem}\n${cert.privateKeyPem}`, { mode: 0o600 });
    const make = (name: string, args: string[]) => {
      const out = join(dir, name);
      execFileSync("openssl", ["pkcs12", "-export", "-in", pem, "-out", out, "-passout", "env:PFX_PASSWORD", ...args], {
        env: { ...process.env, PFX_PASSWORD: password },
        stdio: "pipe",
      });
      return readFileSync(out);
    };
    // One iteration (-noiter; "-iter 1" would add a MAC) keeps the key derivation cheap, so thousands of
    // wrong passwords take a moment.
    noMac = make("nomac.pfx", ["-nomac", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-noiter"]);
    withMac = make("mac.pfx", ["-iter", "1"]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("opens the no-MAC 3DES PFX with the right password", async () => {
    const opened = await readPfx(noMac, "--certificate", password);
    expect(opened.privateKeyPem).toContain("BEGIN PRIVATE KEY");
  });

  it("fails preflight for every wrong password on a PFX without MAC, also those whose decryption ends in valid padding", async () => {
    // About 1 wrong password in 256 decrypts to valid CBC padding, and only the DER decode can refuse it. Those are
    // found directly (a key derivation and a decryption each) rather than by running readPfx thousands of times.
    const { data, salt, iterations } = await encryptedSafe(noMac);
    const decryptsCleanly = (candidate: string) => {
      const decipher = createDecipheriv(
        "des-ede3-cbc",
        pkcs12Kdf(candidate, salt, iterations, 1, 24),
        pkcs12Kdf(candidate, salt, iterations, 2, 8),
      );
      try {
        Buffer.concat([decipher.update(data), decipher.final()]);
        return true;
      } catch {
        return false;
      }
    };
    const candidates = Array.from({ length: 20_000 }, (_, i) => `wrong-${i}`);
    const validPadding: string[] = [];
    for (const candidate of candidates) {
      if (decryptsCleanly(candidate)) validPadding.push(candidate);
      if (validPadding.length === 8) break;
    }
    expect(validPadding).toHaveLength(8);
    expect(decryptsCleanly(password)).toBe(true);
    const kinds = new Map<string, number>();
    for (const wrong of [...validPadding, ...candidates.slice(0, 200)]) {
      const err = await readPfx(noMac, "--certificate", wrong).then(
        () => new Error("opened"),
        (e: Error) => e,
      );
      const kind = err instanceof PreflightError ? "preflight" : `${err.name}: ${err.message}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    expect(Object.fromEntries(kinds)).toEqual({ preflight: validPadding.length + 200 });
  });

  it("says wrong password or damaged file when the MAC fails, since a MAC cannot tell them apart", async () => {
    const flipped = Buffer.from(withMac);
    const at = Math.floor(flipped.length / 2);
    flipped.writeUInt8(flipped.readUInt8(at) ^ 0x01, at);
    for (const [bytes, given] of [
      [flipped, password],
      [withMac, "not-it"],
    ] as const) {
      await expect(readPfx(bytes, "--certificate", given)).rejects.toThrow(
        "--certificate: its integrity check fails: wrong password or damaged file; check the variable that holds the password",
      );
    }
  });

  it("says how to give a password when none was given", async () => {
    await expect(readPfx(withMac, "AZURE_CLIENT_CERTIFICATE_PATH", "")).rejects.toThrow(
      "no password was given: pass --certificate-password-env <VAR> or set AZURE_CLIENT_CERTIFICATE_PASSWORD",
    );
    await expect(readPfx(noMac, "AZURE_CLIENT_CERTIFICATE_PATH", "")).rejects.toThrow(
      /^AZURE_CLIENT_CERTIFICATE_PATH: the password does not decrypt this PFX \(wrong password or damaged file\); no password was given/,
    );
  });
});

/** The PFX's first encrypted SafeContents (openssl puts the certificate there): its ciphertext and PBE parameters. */
async function encryptedSafe(bytes: Buffer): Promise<{ data: Buffer; salt: Buffer; iterations: number }> {
  const pfx = PFX.fromBER(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  // No MAC, so the password is not used here: parsing only unwraps the AuthenticatedSafe.
  await pfx.parseInternalValues({ password: new ArrayBuffer(0), checkIntegrity: false });
  const content = pfx.parsedValue?.authenticatedSafe?.safeContents.find(
    (c) => c.contentType === "1.2.840.113549.1.7.6",
  );
  if (!content) throw new Error("the test PFX has no encrypted SafeContents");
  const info = new EncryptedData({ schema: content.content }).encryptedContentInfo;
  const params = info.contentEncryptionAlgorithm.algorithmParams;
  const [salt, iterations] = params instanceof asn1js.Sequence ? params.valueBlock.value : [];
  if (!(salt instanceof asn1js.OctetString) || !(iterations instanceof asn1js.Integer))
    throw new Error("the test PFX's encryption has no PKCS#12 PBE parameters");
  return {
    data: Buffer.from(info.getEncryptedContent()),
    salt: Buffer.from(salt.getValue()),
    iterations: iterations.valueBlock.valueDec,
  };
}
