import { execFileSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asn1js from "asn1js";
import { EncryptedData, PFX } from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkcs12Kdf } from "../../common/pkcs12";
import { readCertificateFile } from "../../verify/certificateFile";
import { InputError, PreflightError } from "../../verify/errors";
import { maxPfxIterations, readPfx } from "../../verify/pfx";
import { makeCertificate, sharedCertificate, type TestCertificate } from "../support/certificates";

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

describe("a PFX's iteration counts", () => {
  let dir: string;
  let pem: string;
  const make = (name: string, iterations: number) => {
    const out = join(dir, name);
    execFileSync(
      "openssl",
      ["pkcs12", "-export", "-in", pem, "-out", out, "-passout", "env:PFX_PASSWORD", "-iter", String(iterations)],
      {
        env: { ...process.env, PFX_PASSWORD: password },
        stdio: "pipe",
      },
    );
    return readFileSync(out);
  };
  beforeAll(async () => {
    const cert = await sharedCertificate();
    dir = mkdtempSync(join(tmpdir(), "eca-verify-pfx-iter-"));
    pem = join(dir, "client.pem");
    writeFileSync(pem, `${cert.certificatePem}\n${cert.privateKeyPem}`, { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("opens a file written with a high count under the cap with the right password; it is no wrong password", async () => {
    // 100,000: fifty times OpenSSL's default, for the MAC, the certificates and the key alike.
    const opened = await readPfx(make("high.pfx", 100_000), "--certificate", password);
    expect(opened.privateKeyPem).toContain("BEGIN PRIVATE KEY");
  });

  it("refuses a count over the cap by reading it, before any derivation: naming the count, the cap and the fix", async () => {
    // Written with 65,536 (INTEGER 01 00 00) and raised to 8,388,607 (7F FF FF) in place: openssl never derived it.
    const bytes = make("raised.pfx", 65_536);
    const from = Buffer.from([0x02, 0x03, 0x01, 0x00, 0x00]);
    const to = Buffer.from([0x02, 0x03, 0x7f, 0xff, 0xff]);
    let at = bytes.indexOf(from);
    expect(at).toBeGreaterThan(0);
    while (at >= 0) {
      to.copy(bytes, at);
      at = bytes.indexOf(from, at + 1);
    }
    const cpu = process.cpuUsage();
    const err = await readPfx(bytes, "--certificate 'client.pfx'", password).catch((e: unknown) => e);
    // 8.4 million iterations of one derivation would take seconds of CPU; the refusal takes next to none.
    expect((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000).toBeLessThan(500);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `--certificate 'client.pfx': its key derivation asks for 8388607 iterations, more than the cap of ${maxPfxIterations}: re-export it with \`openssl pkcs12 -export -iter 2048 …\` (OpenSSL's default)`,
    );
  });
});

describe("a PEM --certificate holding a chain", () => {
  /** A certificate whose key is not the client's: the run's key pool is shared in turn, so it could come round again. */
  const notTheClients = async (client: TestCertificate, subject: string): Promise<TestCertificate> => {
    for (let i = 0; i < 16; i++) {
      const made = await makeCertificate({ subject });
      if (!made.key.equals(client.key)) return made;
    }
    throw new Error("the key pool holds one key only");
  };
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "eca-verify-pem-chain-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the certificate the key belongs to even when the CA comes first, and says which it took", async () => {
    const client = await sharedCertificate();
    const ca = await notTheClients(client, "CN=issuer");
    const file = join(dir, "chain.pem");
    writeFileSync(file, `${ca.certificatePem}\n${client.certificatePem}\n${client.privateKeyPem}`, { mode: 0o600 });
    const read = await readCertificateFile(file, "--certificate", "");
    expect(read.certificatePem.trim()).toBe(client.certificatePem.trim());
    expect(read.notes).toEqual([
      `--certificate ${file} holds 2 certificates; the 2nd is the private key's and is the one used (the others, a chain, are ignored)`,
    ]);
  });

  it("fails naming the file and what to do when no certificate in it is the key's, never naming output fields", async () => {
    const client = await sharedCertificate();
    const other = await notTheClients(client, "CN=other");
    const file = join(dir, "mismatch.pem");
    writeFileSync(file, `${other.certificatePem}\n${client.privateKeyPem}`, { mode: 0o600 });
    const err = await readCertificateFile(file, "--certificate", "").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `--certificate ${file}: none of its 1 certificate(s) belongs to its private key: put the key's own certificate in the file, or the key issued with this certificate`,
    );
    expect((err as Error).message).not.toMatch(/privateKeyPem|certificatePem/);
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
