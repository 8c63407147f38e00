import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCertificate } from "../common/certificate";
import { isRecord } from "../common/json";
import { normalizeThumbprint, thumbprints } from "../common/thumbprint";

/** Where the client's files went; the password file exists only when the outputs carry a PFX. */
export interface ClientFiles {
  pem: string;
  pfx?: string;
  env: string;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

function writePrivate(path: string, data: string | Buffer): void {
  writeFileSync(path, data, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that already exists.
  chmodSync(path, 0o600);
}

/**
 * Leaves what a client needs to authenticate against the local Entra ID
 * (docs/rehearsal.md, "The folder, and what it leaves"): `client.pem` (certificate and key), `client.pfx` (the
 * program's `certificatePfx` output, base64 PKCS#12), and `client.env` with
 * Azure Identity's EnvironmentCredential variables. All mode 0600: they hold
 * the key. In a real tenant these belong in a secret store.
 */
export function writeClientFiles(
  dir: string,
  outputs: Record<string, unknown>,
  context: { authorityHost: string; caPath: string },
): ClientFiles {
  const pem = join(dir, "client.pem");
  writePrivate(pem, `${str(outputs.certificatePem).trim()}\n${str(outputs.privateKeyPem).trim()}\n`);
  const pfxBase64 = str(outputs.certificatePfx);
  const pfx = pfxBase64 ? join(dir, "client.pfx") : undefined;
  if (pfx) writePrivate(pfx, Buffer.from(pfxBase64, "base64"));
  const env = join(dir, "client.env");
  const lines = [
    `AZURE_TENANT_ID=${str(outputs.tenantId)}`,
    `AZURE_CLIENT_ID=${str(outputs.clientId)}`,
    `AZURE_CLIENT_CERTIFICATE_PATH=${pfx ?? pem}`,
    ...(pfx ? [`AZURE_CLIENT_CERTIFICATE_PASSWORD=${str(outputs.pfxPassword)}`] : []),
    `AZURE_AUTHORITY_HOST=${context.authorityHost}`,
    // Node's TLS trusts the local Entra ID's CA only when told to.
    `NODE_EXTRA_CA_CERTS=${context.caPath}`,
  ];
  writePrivate(env, `${lines.join("\n")}\n`);
  return { pem, pfx, env };
}

/**
 * The client files a run before Key Vault mode left in `dir` (Key Vault mode writes none): undefined when there are
 * none; "attached" while their certificate is still one of the outputs' `attachedCertificates` (setting keyVaultId
 * was a rotation, so the earlier generation stays until the next one); "detached" once a later rotation dropped it,
 * when the key in them no longer authenticates.
 */
export function earlierClientFiles(dir: string, outputs: Record<string, unknown>): "attached" | "detached" | undefined {
  const pem = join(dir, "client.pem");
  if (!existsSync(pem)) return undefined;
  const certificate = parseCertificate(readFileSync(pem));
  if (!certificate) return "detached";
  const { sha1 } = thumbprints(certificate);
  const attached: unknown[] = Array.isArray(outputs.attachedCertificates) ? outputs.attachedCertificates : [];
  const still = attached.some(
    (a) => isRecord(a) && typeof a.thumbprint === "string" && normalizeThumbprint(a.thumbprint) === sha1,
  );
  return still ? "attached" : "detached";
}
