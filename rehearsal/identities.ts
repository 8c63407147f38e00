import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AccessToken, ClientCertificateCredential, type TokenCredential } from "@azure/identity";
import { identityOptions } from "../common/azureSdk";
import { issueCertificate } from "../common/x509";
import type { Plain } from "./engine/wire";
import { type GraphCall, GraphError } from "./providers/graph";

/** An identity the rehearsal registers for itself in the local Entra ID: a workload with a certificate. */
export interface LocalIdentity {
  clientId: string;
  /** Its service principal's object id: the `oid` of its tokens. */
  objectId: string;
  credential: TokenCredential;
  /** The PEM (certificate and key) it signs with, to be kept out of every printed line. */
  secret: string;
}

interface Kept {
  appObjectId: string;
  clientId: string;
  objectId: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const idOf = (body: Plain, key: string): string => {
  const v = isRecord(body) ? body[key] : undefined;
  if (typeof v !== "string") throw new GraphError("InvalidResponse", 502, `the local Entra ID answered without ${key}`);
  return v;
};

/**
 * The rehearsal's own workload identities (the deployer as the vault sees it, and the pipeline that
 * verifies): each an application with a service principal and a certificate credential, registered once
 * through the Graph admin routes and kept in `<dir>/identities/` (the key 0600). They stand for the
 * identities a real tenant already has (the deployment's service connection, the pipeline's workload
 * identity); none of them is the client's.
 */
export async function localIdentity(
  dir: string,
  name: string,
  graph: GraphCall,
  context: { authorityHost: string; tenantId: string; caPem: string },
): Promise<LocalIdentity> {
  const folder = join(dir, "identities");
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const keyPath = join(folder, `${name}.pem`);
  const idsPath = join(folder, `${name}.json`);
  let kept = existsSync(idsPath) && existsSync(keyPath) ? (JSON.parse(readFileSync(idsPath, "utf8")) as Kept) : null;
  if (kept && !(await stillRegistered(graph, kept))) kept = null;
  if (!kept) kept = await register(graph, name, keyPath, idsPath);
  const secret = readFileSync(keyPath, "utf8");
  const credential = new ClientCertificateCredential(
    context.tenantId,
    kept.clientId,
    { certificate: secret },
    // The CA bundle and, for a loopback authority, no instance discovery (it asks Microsoft's hosts about it).
    identityOptions(context.authorityHost, { ca: context.caPem }),
  );
  return { clientId: kept.clientId, objectId: kept.objectId, credential, secret };
}

async function stillRegistered(graph: GraphCall, kept: Kept): Promise<boolean> {
  try {
    await graph("GET", `applications/${kept.appObjectId}`);
    return true;
  } catch (err) {
    if (err instanceof GraphError && err.status === 404) return false;
    throw err;
  }
}

async function register(graph: GraphCall, name: string, keyPath: string, idsPath: string): Promise<Kept> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Date.now();
  const certificatePem = await issueCertificate({
    key: privateKey,
    subject: `CN=rehearsal ${name}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 2 * 365 * 86_400_000),
  });
  const app = await graph("POST", "applications", { displayName: `rehearsal ${name}` });
  const appObjectId = idOf(app, "id");
  const clientId = idOf(app, "appId");
  // Attached as the azuread provider attaches one: the application's whole keyCredentials list, PATCHed
  // (terraform-provider-azuread internal/helpers/credentials.go: `key` is the base64 of the PEM text).
  await graph("PATCH", `applications/${appObjectId}`, {
    keyCredentials: [
      {
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: Buffer.from(certificatePem).toString("base64"),
        displayName: name,
      },
    ],
  });
  const sp = await graph("POST", "servicePrincipals", { appId: clientId });
  const kept = { appObjectId, clientId, objectId: idOf(sp, "id") };
  const keyPem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  writeFileSync(keyPath, `${certificatePem.trim()}\n${keyPem.trim()}\n`, { mode: 0o600 });
  writeFileSync(idsPath, `${JSON.stringify(kept, null, 2)}\n`);
  return kept;
}

/** A token for a resource, with the credential's own cache; fails with the credential's message. */
export async function tokenFor(identity: LocalIdentity, scope: string): Promise<string> {
  const token: AccessToken | null = await identity.credential.getToken(scope);
  if (!token) throw new Error(`no token for ${scope}`);
  return token.token;
}
