import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCertificateCredential } from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { afterAll, beforeAll } from "vitest";
import { trustCaPolicy } from "../../common/azureSdk";
import { requestJson } from "../../common/https";
import { toPem } from "../../common/pem";
import { type LocalKeyVault, type RoleName, start } from "../../keyvault/server";
import { makeCertificate, type TestCertificate } from "./certificates";
import { startEntra, type TestEntra } from "./entra";

/** Key Vault's resource as the local Entra ID registers it: v1.0 tokens with aud https://vault.azure.net. */
export const vaultResource = "https://vault.azure.net";

/** A client registered in the local Entra ID with a certificate credential, and the roles it holds in the vault. */
export interface VaultIdentity {
  clientId: string;
  /** The service principal's object id: the `oid` of its tokens, the principal of its role assignments. */
  objectId: string;
  cert: TestCertificate;
}

export interface TestVault {
  entra: TestEntra;
  vault: LocalKeyVault;
  /** The vault's state file (in a temporary folder removed by stop()). */
  statePath: string;
  /** The Key Vault resource app in the local Entra ID. */
  resource: { appId: string; servicePrincipalId: string };
  /** Both CAs (local Entra ID and local vault): what SDK clients and credentials trust here. */
  caBundle: string;
  /** Registers a client with a certificate and grants it the vault roles (none: it may do nothing). */
  identity(roles?: RoleName[]): Promise<VaultIdentity>;
  credential(identity: VaultIdentity): ClientCertificateCredential;
  certificateClient(identity: VaultIdentity): CertificateClient;
  keyClient(identity: VaultIdentity): KeyClient;
  cryptographyClient(identity: VaultIdentity, keyId: string): CryptographyClient;
  /**
   * Creates a self-signed certificate in the vault (RSA 2048, CN=<name>, 12 months, clientAuth) through the
   * real CertificateClient as `officer` (a Certificates Officer made for it when absent), and returns its ids
   * and public certificate: what a stack's Key Vault outputs name.
   */
  createCertificate(
    name: string,
    options?: { exportable?: boolean; officer?: VaultIdentity },
  ): Promise<VaultCertificate>;
  stop(): Promise<void>;
}

/** A certificate made in the local vault, as a client of it sees it. */
export interface VaultCertificate {
  /** `<vault>/certificates/<name>/<version>` */
  certificateId: string;
  /** `<vault>/keys/<name>/<version>`: what CryptographyClient signs with. */
  keyId: string;
  /** `<vault>/secrets/<name>/<version>` */
  secretId: string;
  certificatePem: string;
}

/**
 * A local Entra ID and a local Key Vault trusting it, each on a free port with state in temporary folders,
 * the Key Vault resource registered (identifierUris ["https://vault.azure.net"], v1.0 tokens), and helpers
 * for real SDK clients that trust the two CAs through a pipeline policy. `now` is the vault's clock, `log` where it
 * reports unexpected errors (stderr by default).
 */
export async function startVault(options: { now?: () => Date; log?: (line: string) => void } = {}): Promise<TestVault> {
  const entra = await startEntra();
  const dir = mkdtempSync(join(tmpdir(), "eca-keyvault-"));
  const statePath = join(dir, "keyvault.json");
  let vault: LocalKeyVault;
  try {
    vault = await start({
      state: statePath,
      entra: { authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: entra.caPem },
      now: options.now,
      log: options.log,
    });
  } catch (err) {
    await entra.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const app = entra.admin.createApplication({
    displayName: "Azure Key Vault",
    identifierUris: [vaultResource],
    api: { requestedAccessTokenVersion: 1 },
  });
  const sp = entra.admin.createServicePrincipal(app.appId);
  const caBundle = `${entra.caPem}\n${vault.caPem}`;
  const sdkOptions = () => ({
    additionalPolicies: [trustCaPolicy(caBundle)],
    disableChallengeResourceVerification: true,
  });
  const credential = (identity: VaultIdentity) =>
    new ClientCertificateCredential(
      entra.tenantId,
      identity.clientId,
      { certificate: `${identity.cert.certificatePem}\n${identity.cert.privateKeyPem}` },
      {
        authorityHost: entra.authorityHost,
        disableInstanceDiscovery: true,
        additionalPolicies: [trustCaPolicy(caBundle)],
      },
    );
  const identity = async (roles: RoleName[] = []): Promise<VaultIdentity> => {
    const client = entra.admin.createApplication({ displayName: "vault client" });
    const clientSp = entra.admin.createServicePrincipal(client.appId);
    const cert = await makeCertificate();
    entra.admin.addKeyCredential(client.id, { key: cert.certificatePem });
    if (roles.length > 0) vault.assignRoles(clientSp.id, roles);
    return { clientId: client.appId, objectId: clientSp.id, cert };
  };
  return {
    entra,
    vault,
    statePath,
    resource: { appId: app.appId, servicePrincipalId: sp.id },
    caBundle,
    identity,
    credential,
    certificateClient: (identity) => new CertificateClient(vault.vaultUrl, credential(identity), sdkOptions()),
    keyClient: (identity) => new KeyClient(vault.vaultUrl, credential(identity), sdkOptions()),
    cryptographyClient: (identity, keyId) => new CryptographyClient(keyId, credential(identity), sdkOptions()),
    async createCertificate(name, createOptions = {}) {
      const officer = createOptions.officer ?? (await identity(["Key Vault Certificates Officer"]));
      const client = new CertificateClient(vault.vaultUrl, credential(officer), sdkOptions());
      const poller = await client.beginCreateCertificate(name, {
        issuerName: "Self",
        subject: `CN=${name}`,
        keyType: "RSA",
        keySize: 2048,
        exportable: createOptions.exportable ?? false,
        reuseKey: false,
        validityInMonths: 12,
        enhancedKeyUsage: ["1.3.6.1.5.5.7.3.2"],
        keyUsage: ["digitalSignature"],
      });
      const created = await poller.pollUntilDone();
      const der = Buffer.from(created.cer ?? new Uint8Array());
      return {
        certificateId: created.properties.id ?? "",
        keyId: created.keyId ?? "",
        secretId: created.secretId ?? "",
        certificatePem: toPem("CERTIFICATE", der),
      };
    },
    async stop() {
      await vault.stop();
      await entra.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Key Vault answer: status, lower-case headers, and the parsed JSON body (`{}` when there is none). */
export interface VaultResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whichever fields it expects
  body: any;
}

/**
 * One vault for the test file: started before its tests (then `ready` makes, once, what they need from it:
 * identities, tokens) and stopped after them. Read the fields inside tests, not while the file is collected.
 */
export function vaultForFile<T extends object>(ready: (t: TestVault) => Promise<T>): { t: TestVault } & T {
  const file = {} as { t: TestVault } & T;
  beforeAll(async () => {
    file.t = await startVault();
    Object.assign(file, await ready(file.t));
  });
  afterAll(() => file.t?.stop());
  return file;
}

/** A token for a fresh identity that holds Key Vault Administrator: what tests of the vault's own answers send. */
export const adminToken = async (t: TestVault): Promise<string> =>
  vaultToken(t, await t.identity(["Key Vault Administrator"]));

/** An access token for Key Vault's resource, from the local Entra ID through Azure Identity. */
export async function vaultToken(t: TestVault, identity: VaultIdentity): Promise<string> {
  const token = await t.credential(identity).getToken(`${vaultResource}/.default`);
  return token.token;
}

/**
 * A request to the local vault over real HTTPS trusting only its CA. `token` is sent as the bearer (none
 * when absent); `path` is taken as is, with `api-version=2025-07-01` added unless `apiVersion` is null.
 */
export async function vaultRequest(
  vault: LocalKeyVault,
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: { token?: string; json?: unknown; raw?: string; apiVersion?: string | null } = {},
): Promise<VaultResponse> {
  const apiVersion = options.apiVersion === undefined ? "2025-07-01" : options.apiVersion;
  const url = new URL(`${vault.vaultUrl}${path}`);
  if (apiVersion !== null) url.searchParams.set("api-version", apiVersion);
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await requestJson(url.toString(), { method, headers, body, ca: vault.caPem });
  return { status: res.status, headers: res.headers, body: res.body ?? {} };
}

/** A create body with a self-signed policy, as the SDKs send it (snake_case, Key Vault REST). */
export const createBody = (
  overrides: { exportable?: boolean; keySize?: number; kty?: string; subject?: string } = {},
) => ({
  policy: {
    key_props: {
      exportable: overrides.exportable ?? false,
      kty: overrides.kty ?? "RSA",
      key_size: overrides.keySize ?? 2048,
      reuse_key: false,
    },
    secret_props: { contentType: "application/x-pkcs12" },
    x509_props: {
      subject: overrides.subject ?? "CN=raw test",
      validity_months: 12,
      ekus: ["1.3.6.1.5.5.7.3.2"],
      key_usage: ["digitalSignature"],
    },
    issuer: { name: "Self" },
  },
  attributes: { enabled: true },
});
