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
  // Not config.getNumber/getObject/getBoolean: their ConfigTypeError quotes the value it refuses
  // (@pulumi/pulumi config.js), and a value in the wrong key may be a private key.
  const number = (key: KeysOf<number>): number => parsed(key, config.get(key), asNumber) ?? defaults[key];
  const list = (key: KeysOf<string[]>): string[] => parsed(key, config.get(key), asList) ?? defaults[key];
  const flag = (key: KeysOf<boolean>): boolean => parsed(key, config.get(key), asFlag) ?? defaults[key];
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
    allowRotationReset: flag("allowRotationReset"),
  };
}

/** How a typed setting is read from its stored string, and what to say when it is not of that type. */
interface Reader<T> {
  read(value: string): T | undefined;
  needs: string;
}

/** A config value of a type, or a ConfigError naming the key and the type it needs, never the value. */
function parsed<T>(key: string, value: string | undefined, reader: Reader<T>): T | undefined {
  if (value === undefined) return undefined;
  const result = reader.read(value);
  if (result === undefined) throw new ConfigError([`${key} is not ${reader.needs}`]);
  return result;
}

const asNumber: Reader<number> = {
  read: (value) => (value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : undefined),
  needs: "a number: set it as digits, for example `pulumi config set keySize 3072`",
};

const asList: Reader<string[]> = {
  read(value) {
    let list: unknown;
    try {
      list = JSON.parse(value);
    } catch {
      return undefined;
    }
    return Array.isArray(list) && list.every((item) => typeof item === "string") ? list : undefined;
  },
  needs:
    "a list of strings: set items by path (`pulumi config set --path 'roles[0]' Data.Read`) or write a YAML list in the stack file",
};

const asFlag: Reader<boolean> = {
  read: (value) => (value === "true" ? true : value === "false" ? false : undefined),
  needs: "true or false",
};

function pfxEncryptionOf(value: string): PfxEncryption {
  const known = pfxEncryptions.find((e) => e === value);
  if (known) return known;
  // Not quoted: whatever is not one of the known names may be anything, a pasted key included.
  throw new ConfigError([`pfxEncryption is not a known encryption: use ${pfxEncryptions.join(" or ")}`]);
}
