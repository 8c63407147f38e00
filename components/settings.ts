import * as pulumi from "@pulumi/pulumi";
import { defaults, type Settings } from "./defaults";
import { ConfigError } from "./errors";
import { type PfxEncryption, pfxEncryptions } from "./pfx";

/** The keys of Settings whose values are of type V. */
export type KeysOf<V> = { [K in keyof Settings]: Settings[K] extends V ? K : never }[keyof Settings];

/**
 * Reads the stack configuration once. Keys that are unset get the defaults; `??` rather than `||` so that
 * a deliberate "" or 0 reaches validation instead of being silently replaced.
 */
export function readSettings(config: pulumi.Config = new pulumi.Config()): Settings {
  const text = (key: KeysOf<string>): string => config.get(key) ?? defaults[key];
  const number = (key: KeysOf<number>): number => config.getNumber(key) ?? defaults[key];
  const list = (key: KeysOf<string[]>): string[] => config.getObject<string[]>(key) ?? defaults[key];
  const flag = (key: KeysOf<boolean>): boolean => config.getBoolean(key) ?? defaults[key];
  if (config.get("previousCertificatePem") !== undefined) {
    throw new ConfigError([
      "previousCertificatePem is no longer read: the previous certificate stays attached by itself after a rotation; remove it with `pulumi config rm previousCertificatePem`",
    ]);
  }
  return {
    displayName: text("displayName"),
    certificateSubject: text("certificateSubject"),
    keyAlgorithm: text("keyAlgorithm"),
    keySize: number("keySize"),
    validityDays: number("validityDays"),
    earlyRenewalDays: number("earlyRenewalDays"),
    rotation: text("rotation"),
    authorityHost: text("authorityHost"),
    apiClientId: text("apiClientId"),
    apiIdentifierUri: text("apiIdentifierUri"),
    apiRoles: list("apiRoles"),
    roles: list("roles"),
    accessTokenVersion: number("accessTokenVersion"),
    owners: list("owners"),
    signInAudience: text("signInAudience"),
    certificatePem: text("certificatePem"),
    // Read as plain text so the key can be matched to the certificate at preview time; the component
    // wraps it in pulumi.secret straight away.
    privateKeyPem: text("privateKeyPem"),
    pfxPassword: text("pfxPassword"),
    pfxEncryption: pfxEncryptionOf(config.get("pfxEncryption") ?? defaults.pfxEncryption),
    keyVaultId: text("keyVaultId"),
    keyVaultExportable: flag("keyVaultExportable"),
  };
}

function pfxEncryptionOf(value: string): PfxEncryption {
  const known = pfxEncryptions.find((e) => e === value);
  if (known) return known;
  throw new ConfigError([`pfxEncryption ${value} is not known: use ${pfxEncryptions.join(" or ")}`]);
}
