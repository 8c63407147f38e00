import { createHash, X509Certificate } from "node:crypto";
import type { CertificateObject, CertificateVersion, DeletedCertificate } from "./store";

/**
 * The JSON Key Vault answers for certificates, keys and secrets (Key Vault REST "CertificateBundle",
 * "KeyBundle", "SecretBundle", "DeletedCertificateBundle"; field names as in the azure-sdk-for-js recordings).
 * Ids are URLs on the vault: `<vault>/certificates/<name>/<version>`.
 */

/** Soft-delete with purge allowed and 90 days to recover: a new vault's default. */
export const recoverableDays = 90;
const recoveryLevel = "Recoverable+Purgeable";

export const ids = (vault: string, name: string, version: string) => ({
  id: `${vault}/certificates/${name}/${version}`,
  kid: `${vault}/keys/${name}/${version}`,
  sid: `${vault}/secrets/${name}/${version}`,
});

const attributes = (v: CertificateVersion) => ({
  enabled: v.enabled,
  nbf: v.nbf,
  exp: v.exp,
  created: v.created,
  updated: v.updated,
  recoveryLevel,
  recoverableDays,
});

export const x5tOf = (v: CertificateVersion) =>
  createHash("sha1").update(Buffer.from(v.cer, "base64")).digest("base64url");

export function policyBundle(vault: string, name: string, v: CertificateVersion) {
  return {
    id: `${vault}/certificates/${name}/policy`,
    ...v.policy,
    attributes: { enabled: true, created: v.created, updated: v.updated },
  };
}

export function certificateBundle(vault: string, c: CertificateObject, v: CertificateVersion) {
  const { id, kid, sid } = ids(vault, c.name, v.version);
  return {
    id,
    kid,
    sid,
    x5t: x5tOf(v),
    cer: v.cer,
    attributes: attributes(v),
    policy: policyBundle(vault, c.name, v),
    ...(v.tags ? { tags: v.tags } : {}),
  };
}

/** A list item: `GET /certificates` and `GET /certificates/{name}/versions`. */
export function certificateItem(vault: string, c: CertificateObject, v: CertificateVersion, versioned: boolean) {
  return {
    id: versioned ? ids(vault, c.name, v.version).id : `${vault}/certificates/${c.name}`,
    x5t: x5tOf(v),
    attributes: attributes(v),
    subject: v.policy.x509_props.subject,
    ...(v.tags ? { tags: v.tags } : {}),
  };
}

export function deletedBundle(vault: string, d: DeletedCertificate, v: CertificateVersion) {
  return {
    recoveryId: `${vault}/deletedcertificates/${d.certificate.name}`,
    deletedDate: d.deletedDate,
    scheduledPurgeDate: d.scheduledPurgeDate,
    ...certificateBundle(vault, d.certificate, v),
  };
}

export function pendingOperation(vault: string, c: CertificateObject, completed: boolean) {
  const p = c.pending;
  return {
    id: `${vault}/certificates/${c.name}/pending`,
    issuer: { name: "Self" },
    csr: p?.csr ?? "",
    cancellation_requested: false,
    status: completed ? "completed" : "inProgress",
    ...(completed
      ? { target: `${vault}/certificates/${c.name}` }
      : {
          status_details:
            "Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.",
        }),
    request_id: p?.requestId ?? "",
  };
}

/** Only the public part: `n` and `e` of the certificate's key. */
export function keyBundle(vault: string, c: CertificateObject, v: CertificateVersion) {
  const jwk = new X509Certificate(Buffer.from(v.cer, "base64")).publicKey.export({ format: "jwk" });
  return {
    key: {
      kid: ids(vault, c.name, v.version).kid,
      kty: "RSA",
      key_ops: ["sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"],
      n: jwk.n,
      e: jwk.e,
    },
    attributes: { ...attributes(v), exportable: v.policy.key_props.exportable },
    managed: true,
  };
}

export function secretBundle(vault: string, c: CertificateObject, v: CertificateVersion, value: string) {
  return {
    value,
    contentType: v.policy.secret_props.contentType,
    id: ids(vault, c.name, v.version).sid,
    managed: true,
    attributes: attributes(v),
    kid: ids(vault, c.name, v.version).kid,
    ...(v.tags ? { tags: v.tags } : {}),
  };
}
