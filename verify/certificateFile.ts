import { createPrivateKey, X509Certificate } from "node:crypto";
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
  const certificatePem = blocks.find((b) => pemLabel(b) === "CERTIFICATE");
  const keyBlock = blocks.find((b) => /PRIVATE KEY$/.test(pemLabel(b) ?? ""));
  if (!certificatePem || !keyBlock)
    throw new InputError(`${what} must hold a PEM certificate and its private key, or be a PFX (PKCS#12) file`);
  try {
    new X509Certificate(certificatePem);
  } catch {
    throw new InputError(`${what} holds a CERTIFICATE block that does not parse as an X.509 certificate`);
  }
  if (pemLabel(keyBlock) !== "ENCRYPTED PRIVATE KEY" && !/Proc-Type: 4,ENCRYPTED/.test(keyBlock))
    return { certificatePem, privateKeyPem: keyBlock };
  if (!password)
    throw new InputError(
      `${what} holds an encrypted private key: give its password with --certificate-password-env <VAR> or AZURE_CLIENT_CERTIFICATE_PASSWORD`,
    );
  try {
    const key = createPrivateKey({ key: keyBlock, passphrase: password });
    return { certificatePem, privateKeyPem: key.export({ format: "pem", type: "pkcs8" }).toString() };
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
  try {
    new X509Certificate(certificatePem);
  } catch {
    throw new InputError(`${what} holds a CERTIFICATE block that does not parse as an X.509 certificate`);
  }
  return { certificatePem };
}
