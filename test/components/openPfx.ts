import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpenedPfx {
  certificatePem: string;
  keyMatchesCertificate: boolean;
  /** openssl's `-info` lines about the encryption and the MAC. */
  encryption: string;
}

/**
 * Opens a base64 PFX with the real `openssl pkcs12`, the password passed through the environment (never
 * on the command line), and checks that its key belongs to its certificate.
 */
export function openPfx(base64: string, password: string): OpenedPfx {
  const dir = mkdtempSync(join(tmpdir(), "eca-pfx-"));
  try {
    const file = join(dir, "client.pfx");
    writeFileSync(file, Buffer.from(base64, "base64"), { mode: 0o600 });
    const run = (args: string[]) =>
      execFileSync("openssl", ["pkcs12", "-in", file, "-passin", "env:PFX_PASSWORD", ...args], {
        env: { ...process.env, PFX_PASSWORD: password },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const certificatePem = run(["-clcerts", "-nokeys"]).replace(/^[\s\S]*?(?=-----BEGIN CERTIFICATE-----)/, "");
    const keyPem = run(["-nocerts", "-nodes"]).replace(/^[\s\S]*?(?=-----BEGIN PRIVATE KEY-----)/, "");
    // openssl prints the -info lines on stderr.
    const info = spawnSync("openssl", ["pkcs12", "-in", file, "-passin", "env:PFX_PASSWORD", "-info", "-noout"], {
      env: { ...process.env, PFX_PASSWORD: password },
      encoding: "utf8",
    });
    if (info.status !== 0) throw new Error(`openssl pkcs12 -info failed with status ${info.status}`);
    return {
      certificatePem,
      keyMatchesCertificate: new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(keyPem)),
      encryption: `${info.stdout}${info.stderr}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
