import type { KeyObject, X509Certificate } from "node:crypto";
import { type Check, fail, pass } from "./check";
import type { VaultKey } from "./vault";

/** The names a failure gives the two inputs: the outputs' fields, or the flags they came from. */
export interface VaultInputNames {
  keyId: string;
  certificate: string;
}

/**
 * Checks, before any token request, that the vault key can sign for the
 * certificate: it is RSA, it is the certificate's key (the same
 * SubjectPublicKeyInfo, so modulus and exponent), it permits `sign`, and it
 * is enabled and in its dates. The certificate's own dates and thumbprints
 * are checked by preflight.ts as for a local key.
 */
export function vaultKeyChecks(
  key: Pick<VaultKey, "id" | "kty" | "publicKey" | "keyOps" | "enabled" | "notBefore" | "expiresOn">,
  certificate: X509Certificate,
  names: VaultInputNames,
  now: Date,
): Check[] {
  const checks: Check[] = [];
  const rsa = key.kty === "RSA" || key.kty === "RSA-HSM";
  if (!rsa || !key.publicKey) {
    checks.push(
      fail(
        "vault key type",
        `${names.keyId} names ${rsa ? "a key without a public part" : `a key of ${keyType(key.kty)}`}: Entra ID accepts only RSA certificate credentials; give the key of the certificate in ${names.certificate}`,
      ),
    );
    return checks;
  }
  // Stryker disable next-line OptionalChaining: an RSA KeyObject always has asymmetricKeyDetails (node:crypto docs)
  checks.push(pass("vault key type", `${key.kty} ${key.publicKey.asymmetricKeyDetails?.modulusLength} bits`));
  checks.push(
    samePublicKey(certificate, key.publicKey)
      ? pass("vault key matches certificate", `${key.id.id} holds the certificate's key`)
      : fail(
          "vault key matches certificate",
          `the key ${names.keyId} names is not the key of ${names.certificate}: take both from one deployment (the key id of the certificate's version)`,
        ),
  );
  if (key.keyOps !== undefined && !key.keyOps.includes("sign"))
    checks.push(
      fail(
        "vault key operations",
        `the key ${names.keyId} names does not permit sign (its key_ops): a certificate's key made by Key Vault permits it; check the key's operations`,
      ),
    );
  if (key.enabled === false)
    checks.push(fail("vault key enabled", `the key ${names.keyId} names is disabled in the vault: enable it`));
  if (key.notBefore && now < key.notBefore)
    checks.push(
      fail(
        "vault key validity",
        `the vault key is not usable until ${key.notBefore.toISOString()}: wait, or check the clock`,
      ),
    );
  else if (key.expiresOn && now >= key.expiresOn)
    checks.push(
      fail("vault key validity", `the vault key expired on ${key.expiresOn.toISOString()}: rotate the certificate`),
    );
  return checks;
}

/** Whether a public key is the certificate's: the same DER SubjectPublicKeyInfo. */
export function samePublicKey(certificate: X509Certificate, publicKey: KeyObject): boolean {
  const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  return spki(certificate.publicKey).equals(spki(publicKey));
}

// Key Vault's key types are a short list of uppercase names with dashes; anything else is not repeated.
const keyType = (kty: string) => (/^[A-Z-]{2,10}$/.test(kty) ? `type ${kty}` : "another type than RSA");
