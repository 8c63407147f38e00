import * as x509 from "@peculiar/x509";
import { isRecord } from "../common/json";
import { akv } from "./errors";

/**
 * A certificate policy as the vault keeps and answers it (Key Vault REST "CertificatePolicy"): snake_case
 * sections, only what this vault issues (self-signed RSA).
 */
export interface Policy {
  key_props: { exportable: boolean; kty: "RSA"; key_size: 2048 | 3072 | 4096; reuse_key: boolean };
  secret_props: { contentType: "application/x-pkcs12" | "application/x-pem-file" };
  x509_props: {
    subject: string;
    sans?: { dns_names?: string[] };
    ekus: string[];
    key_usage: KeyUsage[];
    validity_months: number;
    basic_constraints: { ca: false };
  };
  lifetime_actions: unknown[];
  issuer: { name: "Self" };
}

/** The create request, checked. */
export interface CreateRequest {
  policy: Policy;
  enabled: boolean;
  tags?: Record<string, string>;
}

const keyUsages = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsage = (typeof keyUsages)[number];

/** The X.509 key usage bit of each name Key Vault takes. */
export const keyUsageFlag: Record<KeyUsage, number> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
  encipherOnly: x509.KeyUsageFlags.encipherOnly,
  decipherOnly: x509.KeyUsageFlags.decipherOnly,
};

const bad = (field: string, what: string) => akv.badParameter(`${field}: ${what}`);
const optionalRecord = (value: unknown, field: string): Record<string, unknown> => {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw bad(field, "must be an object");
  return value;
};
const optionalBoolean = (value: unknown, field: string, fallback: boolean): boolean => {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw bad(field, "must be true or false");
  return value;
};

/**
 * Checks a create body (`{policy, attributes?, tags?}`). Whatever this vault cannot issue is a 400
 * BadParameter naming the field: another key type or size, another issuer than Self.
 */
export function parseCreateRequest(body: unknown): CreateRequest {
  if (!isRecord(body)) throw akv.badParameter("The request body must be a JSON object.");
  const policy = optionalRecord(body.policy, "policy");
  const attributes = optionalRecord(body.attributes, "attributes");
  const tags = parseTags(body.tags);
  return {
    policy: parsePolicy(policy),
    enabled: optionalBoolean(attributes.enabled, "attributes.enabled", true),
    ...(tags ? { tags } : {}),
  };
}

function parsePolicy(p: Record<string, unknown>): Policy {
  const key = optionalRecord(p.key_props, "policy.key_props");
  const secret = optionalRecord(p.secret_props, "policy.secret_props");
  const props = optionalRecord(p.x509_props, "policy.x509_props");
  const issuer = optionalRecord(p.issuer, "policy.issuer");
  const kty = key.kty ?? "RSA";
  if (kty !== "RSA") throw bad("policy.key_props.kty", "this vault issues RSA keys only (kty RSA)");
  const size = key.key_size ?? 2048;
  if (size !== 2048 && size !== 3072 && size !== 4096)
    throw bad("policy.key_props.key_size", "must be 2048, 3072 or 4096");
  if (key.crv !== undefined) throw bad("policy.key_props.crv", "is for EC keys; this vault issues RSA keys only");
  const contentType = secret.contentType ?? "application/x-pkcs12";
  if (contentType !== "application/x-pkcs12" && contentType !== "application/x-pem-file")
    throw bad("policy.secret_props.contentType", "must be application/x-pkcs12 or application/x-pem-file");
  const issuerName = issuer.name ?? "Self";
  if (typeof issuerName !== "string" || issuerName.toLowerCase() !== "self")
    throw bad("policy.issuer.name", "this vault issues self-signed certificates only (Self)");
  const lifetime = p.lifetime_actions ?? [];
  if (!Array.isArray(lifetime) || !lifetime.every(isRecord))
    throw bad("policy.lifetime_actions", "must be a list of objects");
  const sans = parseSans(props.sans ?? props.subject_alternative_names);
  return {
    key_props: {
      // Exportable unless the policy says otherwise, as Key Vault's default (learn.microsoft.com
      // azure/key-vault/certificates/about-certificates#exportable-or-non-exportable-key).
      exportable: optionalBoolean(key.exportable, "policy.key_props.exportable", true),
      kty: "RSA",
      key_size: size,
      reuse_key: optionalBoolean(key.reuse_key, "policy.key_props.reuse_key", false),
    },
    secret_props: { contentType },
    x509_props: {
      subject: parseSubject(props.subject),
      ...(sans ? { sans } : {}),
      ekus: parseEkus(props.ekus),
      key_usage: parseKeyUsage(props.key_usage),
      validity_months: parseValidity(props.validity_months),
      basic_constraints: { ca: false },
    },
    lifetime_actions: lifetime,
    issuer: { name: "Self" },
  };
}

function parseSubject(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > 1024)
    throw bad("policy.x509_props.subject", "must be a distinguished name such as CN=example");
  try {
    // @peculiar/x509 reads text without `=` as an empty name: every part must be `type=value`.
    if (!value.split(/(?<!\\)[,+]/).every((rdn) => /^\s*[A-Za-z0-9.]+\s*=/.test(rdn))) throw new Error("no type");
    new x509.Name(value);
  } catch {
    throw bad("policy.x509_props.subject", "is not a distinguished name (e.g. CN=example)");
  }
  return value;
}

function parseSans(value: unknown): { dns_names?: string[] } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw bad("policy.x509_props.sans", "must be an object");
  const dns = value.dns_names;
  if (dns === undefined) return undefined;
  if (!Array.isArray(dns) || !dns.every((d) => typeof d === "string" && /^[A-Za-z0-9*.-]{1,253}$/.test(d)))
    throw bad("policy.x509_props.sans.dns_names", "must be a list of DNS names");
  return { dns_names: dns };
}

function parseEkus(value: unknown): string[] {
  // Key Vault's default for a self-signed certificate: server and client authentication.
  if (value === undefined || value === null) return ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];
  if (
    !Array.isArray(value) ||
    value.length > 32 ||
    !value.every((e) => typeof e === "string" && /^\d+(\.\d+)+$/.test(e))
  )
    throw bad("policy.x509_props.ekus", "must be a list of object identifiers (e.g. 1.3.6.1.5.5.7.3.2)");
  return value;
}

function parseKeyUsage(value: unknown): KeyUsage[] {
  if (value === undefined || value === null) return ["digitalSignature", "keyEncipherment"];
  if (!Array.isArray(value) || !value.every((u) => keyUsages.includes(u)))
    throw bad("policy.x509_props.key_usage", `must be a list of ${keyUsages.join(", ")}`);
  return value;
}

function parseValidity(value: unknown): number {
  if (value === undefined || value === null) return 12;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1200)
    throw bad("policy.x509_props.validity_months", "must be a whole number of months from 1 to 1200");
  return value;
}

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || Object.keys(value).length > 15 || !Object.values(value).every((t) => typeof t === "string"))
    throw bad("tags", "must be an object of at most 15 string values");
  return value as Record<string, string>;
}
