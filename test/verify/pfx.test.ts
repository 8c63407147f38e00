import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  it("fails preflight for every one of 3000 wrong passwords on a PFX without MAC, even when the padding happens to be valid", async () => {
    const kinds = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const err = await readPfx(noMac, "--certificate", `wrong-${i}`).then(
        () => new Error("opened"),
        (e: Error) => e,
      );
      const kind = err instanceof PreflightError ? "preflight" : `${err.name}: ${err.message}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    expect(Object.fromEntries(kinds)).toEqual({ preflight: 3000 });
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
