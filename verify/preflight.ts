import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { type Thumbprints, thumbprints } from "../common/thumbprint";
import type { DigestSigner } from "./assertion";
import { type Check, fail, pass } from "./check";
import { InputError, PreflightError } from "./errors";
import type { ClientInputs } from "./inputs";

/** What preflight found; `key` (or `signer`, for Key Vault) and `certificate` are parsed for the token request. */
export interface Preflight {
  checks: Check[];
  warnings: string[];
  certificate: X509Certificate;
  /** The local private key; absent when Key Vault signs. */
  key?: KeyObject;
  /** Key Vault signing: signs the SHA-256 digest of the assertion in the vault (set by the run after vaultPreflight). */
  signer?: DigestSigner;
  thumbprint: Thumbprints;
}

/**
 * Checks that need no network: the certificate and key parse, belong
 * together, are RSA, are in their validity period, and match the declared
 * thumbprints. Throws PreflightError naming the first failure. With Key
 * Vault signing there is no key here: the certificate's checks run, and the
 * vault key's (vaultPreflight.ts) follow over the network.
 */
export function preflight(inputs: ClientInputs, warnDays: number, now = new Date()): Preflight {
  const certificate = parse(
    () => new X509Certificate(inputs.certificatePem),
    "certificatePem is not a PEM certificate",
  );
  const { privateKeyPem } = inputs;
  if (!inputs.keyVault && privateKeyPem === undefined)
    throw new InputError("privateKeyPem is missing: give the certificate's key, or a Key Vault key to sign with");
  // Only the fact is reported: a key parser's message may quote the key.
  const key =
    privateKeyPem === undefined
      ? undefined
      : parse(
          () => createPrivateKey(privateKeyPem),
          "privateKeyPem is not an unencrypted PEM private key (PKCS#1 or PKCS#8)",
        );
  const thumbprint = thumbprints(certificate);
  const checks = [
    ...(key ? [rsaCheck(key), keyMatchCheck(certificate, key)] : [certificateKeyCheck(certificate)]),
    validityCheck(certificate, now),
    ...thumbprintChecks(inputs, thumbprint),
  ];
  const failed = checks.find((c) => !c.ok);
  if (failed) throw new PreflightError(`${failed.name}: ${failed.detail}`);
  return { checks, warnings: expiryWarnings(certificate, warnDays, now), certificate, key, thumbprint };
}

function rsaCheck(key: KeyObject): Check {
  return key.asymmetricKeyType === "rsa"
    ? pass("key type", `RSA ${key.asymmetricKeyDetails?.modulusLength} bits`)
    : fail(
        "key type",
        `the key is ${key.asymmetricKeyType}: Entra ID accepts only RSA certificate credentials; issue an RSA certificate`,
      );
}

/** With Key Vault signing: the certificate's own key must be RSA (the vault key is compared with it later). */
function certificateKeyCheck(certificate: X509Certificate): Check {
  const type = certificate.publicKey.asymmetricKeyType;
  return type === "rsa"
    ? pass("certificate key type", `RSA ${certificate.publicKey.asymmetricKeyDetails?.modulusLength} bits`)
    : fail(
        "certificate key type",
        `the certificate's key is ${type}: Entra ID accepts only RSA certificate credentials; issue an RSA certificate`,
      );
}

function keyMatchCheck(certificate: X509Certificate, key: KeyObject): Check {
  return certificate.checkPrivateKey(key)
    ? pass("key matches certificate", "the private key is the certificate's")
    : fail(
        "key matches certificate",
        "privateKeyPem does not belong to certificatePem: use the key that was issued with this certificate",
      );
}

function validityCheck(certificate: X509Certificate, now: Date): Check {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (now < from)
    return fail("certificate validity", `not valid until ${from.toISOString()}: wait, or check this machine's clock`);
  if (now >= to)
    return fail(
      "certificate validity",
      `expired on ${to.toISOString()}: rotate it (pulumi config set rotation <new value> && pulumi up)`,
    );
  return pass("certificate validity", `valid until ${to.toISOString()}`);
}

/** Declared thumbprints are uppercase hex of the right length by now (inputs.ts), so quoting them is safe. */
function thumbprintChecks(inputs: ClientInputs, actual: Thumbprints): Check[] {
  const checks: Check[] = [];
  const compare = (name: string, declared: string | undefined, computed: string) => {
    if (declared === undefined) return;
    checks.push(
      declared === computed
        ? pass(name, computed)
        : fail(
            name,
            `declared ${declared} but the certificate's is ${computed}: the outputs mix two certificates; take all of them from one deployment`,
          ),
    );
  };
  compare("thumbprint (SHA-1)", inputs.thumbprint, actual.sha1);
  compare("thumbprint (SHA-256)", inputs.thumbprintSha256, actual.sha256);
  return checks;
}

function expiryWarnings(certificate: X509Certificate, warnDays: number, now: Date): string[] {
  const days = (new Date(certificate.validTo).getTime() - now.getTime()) / 86_400_000;
  return days <= warnDays
    ? [
        `the certificate expires in ${Math.floor(days)} days (${new Date(certificate.validTo).toISOString()}): rotate it soon`,
      ]
    : [];
}

function parse<T>(make: () => T, message: string): T {
  try {
    return make();
  } catch {
    throw new InputError(message);
  }
}
