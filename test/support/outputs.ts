import { X509Certificate } from "node:crypto";
import type { LocalEntra } from "../../entra/server";
import type { RegisteredClient } from "./entra";

/** Every output the program exports: what verify reads (docs/configuration.md, "Stack outputs"). */
export const stackOutputNames = [
  "tenantId",
  "clientId",
  "applicationObjectId",
  "servicePrincipalObjectId",
  "authority",
  "scope",
  "apiClientId",
  "expectedRoles",
  "certificatePem",
  "privateKeyPem",
  "thumbprint",
  "thumbprintSha256",
  "keyId",
  "certificateNotAfter",
  "certificatePfx",
  "pfxPassword",
  "attachedCertificates",
] as const;

/** Stack outputs as `pulumi stack output --json --show-secrets` prints them, for a registered client. */
export function stackOutputsFor(
  entra: LocalEntra,
  client: RegisteredClient,
  expectedRoles: string[] = [],
): Record<string, unknown> {
  const x509 = new X509Certificate(client.cert.certificatePem);
  return {
    tenantId: entra.tenantId,
    clientId: client.clientId,
    applicationObjectId: client.appObjectId,
    servicePrincipalObjectId: client.servicePrincipalId,
    authority: `${entra.authorityHost}/${entra.tenantId}`,
    scope: client.scope,
    apiClientId: client.apiClientId,
    expectedRoles,
    certificatePem: client.cert.certificatePem,
    privateKeyPem: client.cert.privateKeyPem,
    thumbprint: x509.fingerprint.replaceAll(":", ""),
    thumbprintSha256: x509.fingerprint256.replaceAll(":", ""),
    keyId: "00000000-0000-0000-0000-000000000000",
    certificateNotAfter: new Date(x509.validTo).toISOString(),
  };
}

/** Key Vault mode's outputs for a registered client: no private key, PFX or password; `keyVaultKeyId` to sign with. */
export function vaultStackOutputsFor(
  entra: LocalEntra,
  client: RegisteredClient,
  keyVaultKeyId: string,
  expectedRoles: string[] = ["Data.Read"],
): Record<string, unknown> {
  const { privateKeyPem: _key, ...outputs } = stackOutputsFor(entra, client, expectedRoles);
  return { ...outputs, keyVaultKeyId };
}
