import * as pulumi from "@pulumi/pulumi";
import { defaults, type Settings } from "./defaults";

/**
 * Reads the stack configuration once. Keys that are unset get the defaults;
 * `??` rather than `||` so that a deliberate "" or 0 reaches validation
 * instead of being silently replaced.
 */
export function readSettings(config: pulumi.Config = new pulumi.Config()): Settings {
  const text = (key: keyof Settings) => config.get(key) ?? (defaults[key] as string);
  const number = (key: keyof Settings) => config.getNumber(key) ?? (defaults[key] as number);
  const list = (key: keyof Settings) => config.getObject<string[]>(key) ?? (defaults[key] as string[]);
  return {
    displayName: text("displayName"),
    certificateSubject: text("certificateSubject"),
    keyAlgorithm: text("keyAlgorithm"),
    keySize: number("keySize"),
    validityDays: number("validityDays"),
    earlyRenewalDays: number("earlyRenewalDays"),
    rotation: text("rotation"),
    previousCertificatePem: text("previousCertificatePem"),
    authorityHost: text("authorityHost"),
    apiClientId: text("apiClientId"),
    apiIdentifierUri: text("apiIdentifierUri"),
    apiRoles: list("apiRoles"),
    roles: list("roles"),
    accessTokenVersion: number("accessTokenVersion"),
    owners: list("owners"),
    signInAudience: text("signInAudience"),
    certificatePem: text("certificatePem"),
    // Read as plain text so the key can be matched to the certificate at
    // preview time; the component wraps it in pulumi.secret straight away.
    privateKeyPem: text("privateKeyPem"),
  };
}
