import { createHash, type KeyObject, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { SignJWT } from "jose";
import { type JsonResponse, requestJson } from "../../common/https";
import { createPki, type Pki, pkiPaths } from "../../entra/pki";
import { type LocalEntra, type StartOptions, start } from "../../entra/server";
import { networkClient } from "../../verify/networkClient";
import { makeCertificate, type TestCertificate } from "./certificates";

let seeded: Promise<Pki> | undefined;

/**
 * Writes one set of key material (CA, TLS and signing keys), made once per
 * worker (test files share modules), beside a fresh state file (and the CA in `ca.pem`, unless
 * `caFile` is false): a start then reuses it instead of making three RSA
 * keys per server.
 */
export async function seedPki(statePath: string, options: { caFile?: boolean } = {}): Promise<Pki> {
  seeded ??= createPki();
  const pki = await seeded;
  const { caPath, keysPath } = pkiPaths(statePath);
  if (options.caFile ?? true) writeFileSync(caPath, pki.caPem);
  writeFileSync(keysPath, JSON.stringify(pki), { mode: 0o600 });
  return pki;
}

export type TestEntra = LocalEntra & { statePath: string; stateText(): string };

/** How a test Entra ID is started, beyond the server's own options. */
export interface TestEntraOptions extends Partial<StartOptions> {
  /** Keep the temporary folder at stop(), for tests that restart on the same state. */
  keep?: boolean;
  /**
   * Its own CA, TLS and signing keys, made by the server at its first start, instead of the worker's seeded PKI
   * (the default, made once for speed): the one way two test Entra IDs publish different signing keys.
   */
  freshKeys?: boolean;
  /** A state file's text to start from (another Entra ID's `stateText()`: the same tenant id and registrations). */
  stateText?: string;
}

/**
 * A local Entra ID on a free port with its state in a fresh temporary folder,
 * seeded with the worker's shared PKI unless `freshKeys` is set. `stop()` removes the folder (it holds
 * keys) unless `keep` is set.
 */
export async function startEntra(options: TestEntraOptions = {}): Promise<TestEntra> {
  const { keep, freshKeys, stateText, ...startOptions } = options;
  let dir: string | undefined;
  let statePath = options.state;
  if (!statePath) {
    dir = mkdtempSync(join(tmpdir(), "eca-entra-"));
    statePath = join(dir, "entra.json");
    if (stateText !== undefined) writeFileSync(statePath, stateText, { mode: 0o600 });
    if (!freshKeys) await seedPki(statePath);
  }
  const state = statePath;
  const entra = await start({ ...startOptions, state });
  const stop = entra.stop;
  return Object.assign(entra, {
    statePath: state,
    stateText: () => readFileSync(state, "utf8"),
    stop: async () => {
      await stop();
      if (dir && !keep) rmSync(dir, { recursive: true, force: true });
    },
  });
}

export interface RegisteredClient {
  clientId: string;
  appObjectId: string;
  servicePrincipalId: string;
  apiClientId: string;
  apiObjectId?: string;
  apiServicePrincipalId?: string;
  scope: string;
  cert: TestCertificate;
}

/** An API exposing roles, a client with a certificate credential, and optionally role grants. */
export async function registerClient(
  entra: LocalEntra,
  options: { version?: 1 | 2; grant?: string[]; roles?: string[]; cert?: TestCertificate; uri?: string } = {},
): Promise<RegisteredClient> {
  const roles = options.roles ?? ["Data.Read", "Data.Write"];
  const uri = options.uri ?? `api://${randomUUID()}`;
  const api = entra.admin.createApplication({
    displayName: "api",
    identifierUris: [uri],
    api: { requestedAccessTokenVersion: options.version ?? 2 },
    appRoles: roles.map((value) => ({ id: randomUUID(), value, allowedMemberTypes: ["Application"], isEnabled: true })),
  });
  const apiSp = entra.admin.createServicePrincipal(api.appId);
  const app = entra.admin.createApplication({ displayName: "client" });
  const sp = entra.admin.createServicePrincipal(app.appId);
  const cert = options.cert ?? (await makeCertificate());
  entra.admin.addKeyCredential(app.id, { key: cert.certificatePem });
  for (const role of options.grant ?? []) {
    const appRole = api.appRoles.find((r) => r.value === role);
    if (!appRole) throw new Error(`registerClient: no role ${role} among ${roles.join(", ")}`);
    entra.admin.assignAppRole({ principalId: sp.id, resourceId: apiSp.id, appRoleId: appRole.id });
  }
  return {
    clientId: app.appId,
    appObjectId: app.id,
    servicePrincipalId: sp.id,
    apiClientId: api.appId,
    apiObjectId: api.id,
    apiServicePrincipalId: apiSp.id,
    scope: `${uri}/.default`,
    cert,
  };
}

/** A real msal-node client for the local Entra ID, trusting its CA through the network client only. */
export function msalClient(
  entra: LocalEntra,
  client: { clientId: string; cert: TestCertificate },
  thumbprint: "sha256" | "sha1" = "sha256",
): ConfidentialClientApplication {
  const x509 = new X509Certificate(client.cert.certificatePem);
  const hex = (f: string) => f.replaceAll(":", "");
  return new ConfidentialClientApplication({
    auth: {
      clientId: client.clientId,
      authority: `${entra.authorityHost}/${entra.tenantId}`,
      knownAuthorities: [new URL(entra.authorityHost).host],
      clientCertificate:
        thumbprint === "sha256"
          ? { thumbprintSha256: hex(x509.fingerprint256), privateKey: client.cert.privateKeyPem }
          : { thumbprint: hex(x509.fingerprint), privateKey: client.cert.privateKeyPem },
    },
    system: { networkClient: networkClient({ ca: entra.caPem }) },
  });
}

export const tokenEndpoint = (entra: LocalEntra) => `${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`;

/** A hand-built client assertion, for what MSAL would never send. */
export async function assertion(
  client: { clientId: string; cert: TestCertificate },
  aud: string,
  options: {
    alg?: string;
    key?: KeyObject;
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
    x5t?: "sha1" | "sha1-padded" | "sha256" | "none";
  } = {},
): Promise<string> {
  const der = new X509Certificate(client.cert.certificatePem).raw;
  const digest = (alg: string) => createHash(alg).update(der).digest("base64url");
  const alg = options.alg ?? "RS256";
  const thumb = options.x5t ?? (alg === "PS256" ? "sha256" : "sha1");
  const header: Record<string, unknown> = { alg, typ: "JWT", ...options.header };
  if (thumb === "sha1") header.x5t = digest("sha1");
  if (thumb === "sha1-padded") header.x5t = `${digest("sha1")}=`;
  if (thumb === "sha256") header["x5t#S256"] = digest("sha256");
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud,
    iss: client.clientId,
    sub: client.clientId,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 600,
    ...options.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete (claims as Record<string, unknown>)[k];
  return new SignJWT(claims).setProtectedHeader(header as never).sign(options.key ?? client.cert.key);
}

/** An unsigned token with a given header, for `alg: none` and the like. */
export function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64(header)}.${b64(claims)}.`;
}

/** A Graph error body: https://learn.microsoft.com/graph/errors */
export interface GraphErrorBody {
  code: string;
  message: string;
  innerError?: Record<string, unknown>;
}

/**
 * What the local Entra ID answers, every field optional: the token endpoint's success and AADSTS error fields,
 * OpenID metadata and keys, and Graph objects, lists and errors. Tests assert which fields are there.
 */
export interface ResponseBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  expires_on?: string;
  not_before?: string;
  error?: string | GraphErrorBody;
  error_description?: string;
  error_codes?: number[];
  error_uri?: string;
  correlation_id?: string;
  issuer?: string;
  tenant_discovery_endpoint?: string;
  keys?: { kid: string; [field: string]: unknown }[];
  id?: string;
  value?: { id: string; [field: string]: unknown }[];
  [field: string]: unknown;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}

/** The access token of a token response; a test that expects one fails here with the status and AADSTS reason. */
export function accessTokenOf(res: RawResponse): string {
  const token = res.body.access_token;
  if (typeof token !== "string")
    throw new Error(`expected an access token, got ${res.status}: ${res.body.error_description ?? "no reason"}`);
  return token;
}

/** The Graph error of a response; a test that expects one fails here with the status. */
export function graphErrorOf(res: RawResponse): GraphErrorBody {
  const error = res.body.error;
  if (typeof error !== "object") throw new Error(`expected a Graph error body, got ${res.status}`);
  return error;
}

/** A form POST to the token endpoint over real HTTPS, trusting only the server's CA. */
export async function postForm(
  entra: LocalEntra,
  path: string,
  form: Record<string, string>,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  return rawResponse(
    await requestJson<ResponseBody>(`${entra.authorityHost}${path}`, {
      method: "POST",
      ca: entra.caPem,
      timeoutMs,
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(form).toString(),
    }),
  );
}

/** The form a certificate client sends, with one assertion. */
export const clientCredentialsForm = (
  client: { clientId: string; scope: string },
  clientAssertion: string,
): Record<string, string> => ({
  client_id: client.clientId,
  scope: client.scope,
  grant_type: "client_credentials",
  client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  client_assertion: clientAssertion,
});

/**
 * An admin request over real HTTPS. `auth` defaults to the server's admin key;
 * `null` sends no Authorization header. `raw` sends a body as is.
 */
export async function adminRequest(
  entra: LocalEntra,
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: {
    json?: unknown;
    raw?: string;
    contentType?: string;
    auth?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<RawResponse> {
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  const auth = options.auth === undefined ? `Bearer ${entra.adminKey}` : options.auth;
  const headers: Record<string, string> = { ...options.headers };
  if (auth !== null) headers.Authorization = auth;
  if (body !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
  return rawResponse(
    await requestJson<ResponseBody>(`${entra.authorityHost}${path}`, { method, ca: entra.caPem, headers, body }),
  );
}

// A test reads a body it expects; a missing one reads as an empty object, so its assertions fail with the status.
const rawResponse = (res: JsonResponse<ResponseBody>): RawResponse => ({ ...res, body: res.body ?? {} });

/** A request written byte for byte over TLS, for headers no HTTP client would send. */
export function rawRequest(entra: LocalEntra, head: string, body = ""): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: entra.port, ca: entra.caPem, servername: "localhost" }, () => {
      socket.write(
        Buffer.concat([
          Buffer.from(`${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`, "utf8"),
          Buffer.from(body),
        ]),
      );
    });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0),
        text: text.slice(text.indexOf("\r\n\r\n") + 4),
      });
    });
  });
}

/** Gets a token with a fresh assertion, for "the server still answers a good request" checks. */
export async function goodTokenRequest(entra: LocalEntra, client: RegisteredClient): Promise<RawResponse> {
  const signed = await assertion(client, tokenEndpoint(entra));
  return postForm(entra, `/${entra.tenantId}/oauth2/v2.0/token`, clientCredentialsForm(client, signed));
}
