import { createDecipheriv, createPrivateKey, getCiphers, type KeyObject, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import {
  type AlgorithmIdentifier,
  CertBag,
  EncryptedData,
  PBES2Params,
  PBKDF2Params,
  PFX,
  PKCS8ShroudedKeyBag,
  PrivateKeyInfo,
  SafeContents,
} from "pkijs";
import { toPem } from "../common/pem";
import { pkcs12Kdf } from "../common/pkcs12";
import { InputError, PreflightError } from "./errors";
import type { ClientCertificate } from "./inputs";

// Object identifiers from RFC 7292 (PKCS #12 v1.1) and RFC 8018 (PKCS #5 v2.1).
const oid = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbes2: "1.2.840.113549.1.5.13",
  pbeSha1TripleDes: "1.2.840.113549.1.12.1.3",
  pbeSha1Rc2_128: "1.2.840.113549.1.12.1.5",
  pbeSha1Rc2_40: "1.2.840.113549.1.12.1.6",
};

/**
 * The most iterations verify runs for one key derivation of a PFX (its MAC, the certificates' encryption, the
 * key's). OpenSSL 3 and Windows write 2,048 to 10,000. Measured on this project's two-core test machine, a file
 * written with `openssl pkcs12 -export -iter 1000000` took 1.6 s of CPU to open (its three derivations), so the cap
 * bounds the wait to seconds; a file that asks for more is refused before its derivation runs, where 20,000,000
 * would pin a core for half a minute and more.
 */
export const maxPfxIterations = 1_000_000;
/** Every derivation of one file together: a file of many bags cannot multiply the cap. */
export const maxPfxIterationsInAll = 4 * maxPfxIterations;

/**
 * A PKCS#12 (PFX) file's certificate and private key, as Windows, .NET,
 * PowerShell (`Export-PfxCertificate`) and `openssl pkcs12 -export` write
 * it. pkijs parses the structure, checks the password-based MAC and
 * decrypts PBES2 (AES-256-CBC with PBKDF2, OpenSSL 3's default); the older
 * PKCS#12 PBE with SHA-1 and 3DES (`-legacy` keys, `-keypbe PBE-SHA1-3DES`),
 * which pkijs does not decrypt, is decrypted here with node:crypto and the
 * RFC 7292 Appendix B key derivation. RC2 (OpenSSL's `-legacy` certificate
 * encryption) is not in Node's OpenSSL 3 default provider: such a file gets
 * a message saying how to re-export it.
 *
 * A wrong password is a preflight failure (exit 3). No message quotes the
 * password or any byte of the file.
 */
export async function readPfx(bytes: Buffer, what: string, password: string): Promise<ClientCertificate> {
  const pfx = parse(bytes, what);
  const budget = iterationBudget(what);
  if (pfx.macData) budget.spend(pfx.macData.iterations ?? 1);
  const passwordBytes = new TextEncoder().encode(password);
  try {
    await pfx.parseInternalValues({ password: passwordBytes.buffer, checkIntegrity: pfx.macData !== undefined });
  } catch (err) {
    // A failed MAC cannot tell a wrong password from a damaged file.
    if (/integrity/i.test(String((err as Error).message)))
      throw new PreflightError(
        `${what}: its integrity check fails: wrong password or damaged file; ${passwordHint(password)}`,
      );
    throw new InputError(`${what} is not a PFX (PKCS#12) file verify can read`);
  }
  const safe = pfx.parsedValue?.authenticatedSafe;
  if (!safe) throw new InputError(`${what} is not a password-protected PFX (PKCS#12)`);
  const certificates: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  for (const content of safe.safeContents) {
    const contents = await safeContentsOf(content.contentType, content.content, password, what, budget);
    for (const bag of contents.safeBags) {
      if (bag.bagId === oid.certBag && bag.bagValue instanceof CertBag && bag.bagValue.certId === oid.x509Certificate)
        certificates.push(new X509Certificate(Buffer.from(octets(bag.bagValue.certValue, what))));
      else if (bag.bagId === oid.shroudedKeyBag && bag.bagValue instanceof PKCS8ShroudedKeyBag)
        keys.push(shroudedKey(bag.bagValue, password, what, budget));
      else if (bag.bagId === oid.keyBag && bag.bagValue instanceof PrivateKeyInfo)
        keys.push(
          createPrivateKey({ key: Buffer.from(bag.bagValue.toSchema().toBER()), format: "der", type: "pkcs8" }),
        );
    }
  }
  const [key] = keys;
  if (!key || certificates.length === 0)
    throw new InputError(`${what} must hold a certificate and its private key (export it with the private key)`);
  // A PFX may carry the issuing chain too: take the certificate this key belongs to.
  const certificate = certificates.find((c) => c.checkPrivateKey(key));
  if (!certificate)
    throw new InputError(
      `${what}: none of its ${certificates.length} certificate(s) belongs to its private key: export the certificate together with its own key`,
    );
  return {
    certificatePem: toPem("CERTIFICATE", certificate.raw),
    privateKeyPem: key.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

function parse(bytes: Buffer, what: string): PFX {
  try {
    return PFX.fromBER(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch {
    throw new InputError(`${what} is neither PEM (certificate and key) nor a PFX (PKCS#12) file`);
  }
}

async function safeContentsOf(
  contentType: string,
  content: unknown,
  password: string,
  what: string,
  budget: IterationBudget,
): Promise<SafeContents> {
  if (contentType === oid.data) return SafeContents.fromBER(octets(content, what));
  if (contentType !== oid.encryptedData) throw new InputError(`${what} uses a PKCS#12 privacy mode verify cannot read`);
  const encrypted = new EncryptedData({ schema: content });
  const info = encrypted.encryptedContentInfo;
  const algorithm = info.contentEncryptionAlgorithm.algorithmId;
  if (algorithm === oid.pbes2) {
    budget.spend(pbkdf2Iterations(info.contentEncryptionAlgorithm, what));
    try {
      return SafeContents.fromBER(await encrypted.decrypt({ password: new TextEncoder().encode(password).buffer }));
    } catch {
      throw wrongPassword(what, "this PFX", password);
    }
  }
  const legacy = legacyCiphers[algorithm];
  if (!legacy) throw new InputError(`${what} is encrypted with an algorithm verify does not know`);
  if (!getCiphers().includes(legacy.cipher))
    throw new InputError(
      `${what} is encrypted with RC2 (openssl -legacy), which Node offers only with its OpenSSL legacy provider: run with NODE_OPTIONS=--openssl-legacy-provider, or re-export it with AES-256 (the default) or \`-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES\``,
    );
  const { salt, iterations } = pbeParameters(info.contentEncryptionAlgorithm.algorithmParams, what);
  budget.spend(iterations);
  const data = Buffer.from(info.getEncryptedContent());
  const plain = legacyDecrypt(legacy, data, password, salt, iterations, what);
  // Without a MAC a wrong password is noticed only by its result: CBC padding
  // that happens to be valid (about 1 in 256 wrong passwords) gives bytes
  // that are not DER, so a decode failure here means the same as bad padding.
  try {
    return SafeContents.fromBER(plain);
  } catch {
    throw wrongPassword(what, "this PFX", password);
  }
}

/** What to do about a password that does not work, depending on whether one was given at all. */
const passwordHint = (password: string) =>
  password
    ? "check the variable that holds the password"
    : "no password was given: pass --certificate-password-env <VAR> or set AZURE_CLIENT_CERTIFICATE_PASSWORD";

/** Decryption failed: the password is wrong, or (with no MAC to tell) the file is damaged. */
const wrongPassword = (what: string, target: string, password: string) =>
  new PreflightError(
    `${what}: the password does not decrypt ${target} (wrong password or damaged file); ${passwordHint(password)}`,
  );

/** The PKCS#12 PBE schemes (RFC 7292 Appendix C) still met in older Windows exports and `openssl -legacy`. */
const legacyCiphers: Record<string, { cipher: string; keyLength: number }> = {
  [oid.pbeSha1TripleDes]: { cipher: "des-ede3-cbc", keyLength: 24 },
  [oid.pbeSha1Rc2_128]: { cipher: "rc2-cbc", keyLength: 16 },
  [oid.pbeSha1Rc2_40]: { cipher: "rc2-40-cbc", keyLength: 5 },
};

/** A shrouded key bag is an EncryptedPrivateKeyInfo, which node:crypto decrypts (PBES2 and PKCS#12 3DES alike). */
function shroudedKey(bag: PKCS8ShroudedKeyBag, password: string, what: string, budget: IterationBudget): KeyObject {
  const algorithm = bag.encryptionAlgorithm;
  budget.spend(
    algorithm.algorithmId === oid.pbes2
      ? pbkdf2Iterations(algorithm, what)
      : pbeParameters(algorithm.algorithmParams, what).iterations,
  );
  try {
    return createPrivateKey({
      key: Buffer.from(bag.toSchema().toBER()),
      format: "der",
      type: "pkcs8",
      passphrase: password,
    });
  } catch {
    throw wrongPassword(what, "the private key", password);
  }
}

function octets(value: unknown, what: string): ArrayBuffer {
  if (value instanceof asn1js.OctetString) return value.getValue();
  throw new InputError(`${what} is not a well-formed PFX (PKCS#12) file`);
}

/** pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } (RFC 7292 Appendix C). */
function pbeParameters(params: unknown, what: string): { salt: Buffer; iterations: number } {
  if (params instanceof asn1js.Sequence) {
    const [salt, iterations] = params.valueBlock.value;
    if (salt instanceof asn1js.OctetString && iterations instanceof asn1js.Integer)
      return { salt: Buffer.from(salt.getValue()), iterations: iterations.valueBlock.valueDec };
  }
  throw new InputError(`${what} is not a well-formed PFX (PKCS#12) file`);
}

function legacyDecrypt(
  legacy: { cipher: string; keyLength: number },
  data: Buffer,
  password: string,
  salt: Buffer,
  iterations: number,
  what: string,
): ArrayBuffer {
  const key = pkcs12Kdf(password, salt, iterations, 1, legacy.keyLength);
  const iv = pkcs12Kdf(password, salt, iterations, 2, 8);
  try {
    const decipher = createDecipheriv(legacy.cipher, key, iv);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    return plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength);
  } catch {
    throw wrongPassword(what, "this PFX", password);
  }
}

interface IterationBudget {
  /** Called with a derivation's iteration count before it runs: refuses one over the cap, or too many in all. */
  spend(iterations: number): void;
}

const reexport = "re-export it with `openssl pkcs12 -export -iter 2048 …` (OpenSSL's default)";

function iterationBudget(what: string): IterationBudget {
  let spent = 0;
  return {
    spend(iterations) {
      if (!Number.isSafeInteger(iterations) || iterations < 1)
        throw new InputError(`${what} is not a well-formed PFX (PKCS#12) file`);
      if (iterations > maxPfxIterations)
        throw new InputError(
          `${what}: its key derivation asks for ${iterations} iterations, more than the cap of ${maxPfxIterations}: ${reexport}`,
        );
      spent += iterations;
      if (spent > maxPfxIterationsInAll)
        throw new InputError(
          `${what}: its key derivations ask for more than ${maxPfxIterationsInAll} iterations in all, the cap for one file: ${reexport}`,
        );
    },
  };
}

/** PBES2-params' PBKDF2-params iterationCount (RFC 8018 A.2, A.4), read before anything is derived. */
function pbkdf2Iterations(algorithm: AlgorithmIdentifier, what: string): number {
  try {
    const pbes2 = new PBES2Params({ schema: algorithm.algorithmParams });
    return new PBKDF2Params({ schema: pbes2.keyDerivationFunc.algorithmParams }).iterationCount;
  } catch {
    throw new InputError(`${what} is not a well-formed PFX (PKCS#12) file`);
  }
}
