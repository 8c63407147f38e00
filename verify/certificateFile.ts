import { createPrivateKey } from "node:crypto";
import { isCertificate, parseCertificate } from "../common/certificate";
import { pemBlocks, pemLabel } from "../common/pem";
import { quotedPath } from "../common/safe";
import { InputError, PreflightError } from "./errors";
import { readBounded } from "./files";
import type { ClientCertificate } from "./inputs";

/**
 * The client's certificate and private key from one file, in either form
 * Azure Identity's EnvironmentCredential accepts for
 * AZURE_CLIENT_CERTIFICATE_PATH: PEM holding both, or PKCS#12 (PFX) with
 * its password. Errors name the file and the problem, never the password
 * or any of the file's content.
 */
export async function readCertificateFile(
  path: string,
  what: string,
  password: string,
  content: "certificate and key" | "certificate only" = "certificate and key",
): Promise<ClientCertificate> {
  const bytes = readBounded(path, what);
  const text = bytes.toString("latin1");
  const named = `${what}${quotedPath(path)}`;
  // Stack outputs hold the PEMs as JSON strings: the right file, given to the wrong flag.
  if (/^\s*\{/.test(text))
    throw new InputError(
      `${named} is JSON (stack outputs?), not a certificate file: give outputs with --outputs, and ${what} a PEM (certificate and key) or PFX file`,
    );
  if (content === "certificate only") return certificateOnly(text, named);
  if (text.includes("-----BEGIN")) return fromPem(text, named, password);
  const { readPfx } = await import("./pfx.js");
  return readPfx(bytes, named, password);
}

function fromPem(text: string, what: string, password: string): ClientCertificate {
  const blocks = pemBlocks(text);
  const certificateBlocks = blocks.filter((b) => pemLabel(b) === "CERTIFICATE");
  const keyBlock = blocks.find((b) => /PRIVATE KEY$/.test(pemLabel(b) ?? ""));
  if (certificateBlocks.length === 0 || !keyBlock)
    throw new InputError(`${what} must hold a PEM certificate and its private key, or be a PFX (PKCS#12) file`);
  const certificates = certificateBlocks.map((pem, i) => {
    const certificate = parseCertificate(pem);
    if (!certificate)
      throw new InputError(
        `${what} holds a CERTIFICATE block (the ${ordinal(i + 1)}) that does not parse as an X.509 certificate`,
      );
    return certificate;
  });
  const privateKeyPem = openKey(keyBlock, what, password);
  const key = createPrivateKey(privateKeyPem);
  // A chain file may put the CA first: the client's certificate is the one its key belongs to.
  const at = certificates.findIndex((c) => c.checkPrivateKey(key));
  if (at < 0)
    throw new InputError(
      `${what}: none of its ${certificates.length} certificate(s) belongs to its private key: put the key's own certificate in the file, or the key issued with this certificate`,
    );
  const notes =
    certificates.length > 1
      ? [
          `${what} holds ${certificates.length} certificates; the ${ordinal(at + 1)} is the private key's and is the one used (the others, a chain, are ignored)`,
        ]
      : [];
  return { certificatePem: certificateBlocks[at] ?? "", privateKeyPem, notes };
}

const ordinal = (n: number) => `${n}${n === 1 ? "st" : n === 2 ? "nd" : n === 3 ? "rd" : "th"}`;

/** The key as unencrypted PEM; an encrypted one opened with the password. */
function openKey(keyBlock: string, what: string, password: string): string {
  const encrypted = pemLabel(keyBlock) === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(keyBlock);
  if (!encrypted) {
    try {
      createPrivateKey(keyBlock);
    } catch {
      // Only the fact: a key parser's message may quote the key.
      throw new InputError(`${what} holds a private key that does not parse (PKCS#1 or PKCS#8 PEM expected)`);
    }
    return keyBlock;
  }
  if (!password)
    throw new InputError(
      `${what} holds an encrypted private key: give its password with --certificate-password-env <VAR> or AZURE_CLIENT_CERTIFICATE_PASSWORD`,
    );
  try {
    const key = createPrivateKey({ key: keyBlock, passphrase: password });
    return key.export({ format: "pem", type: "pkcs8" }).toString();
  } catch {
    throw new PreflightError(`${what}: the password does not open the private key; check the password variable`);
  }
}

/**
 * The certificate alone, for Key Vault signing: a PEM with a CERTIFICATE
 * block and no private key (the key stays in the vault; a key given here is
 * a mistake and one more secret to carry). A PFX always holds a key.
 */
function certificateOnly(text: string, what: string): ClientCertificate {
  const blocks = pemBlocks(text);
  if (!text.includes("-----BEGIN") || blocks.some((b) => /PRIVATE KEY$/.test(pemLabel(b) ?? "")))
    throw new InputError(
      `${what} must be a PEM holding the certificate only: with Key Vault signing the private key stays in the vault`,
    );
  const certificatePem = blocks.find((b) => pemLabel(b) === "CERTIFICATE");
  if (!certificatePem) throw new InputError(`${what} holds no PEM CERTIFICATE block`);
  if (!isCertificate(certificatePem))
    throw new InputError(`${what} holds a CERTIFICATE block that does not parse as an X.509 certificate`);
  return { certificatePem };
}
