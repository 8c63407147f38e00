import { createPrivateKey, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerMatches } from "../common/adminKey";
import { BodyTooLargeError, describeUnexpected, readBody, sendJson } from "../common/httpServer";
import { isRecord } from "../common/json";
import { dispatch, type Route, route } from "../common/routeTable";
import { isGuid } from "../common/safe";
import {
  certificateBundle,
  certificateItem,
  deletedBundle,
  keyBundle,
  pendingOperation,
  policyBundle,
  recoverableDays,
  secretBundle,
} from "./bundles";
import { akv, KeyVaultError } from "./errors";
import { issue } from "./issue";
import { parseCreateRequest } from "./policy";
import { actions, grants, isRoleName, type RoleName, roleNames } from "./rbac";
import { secretValue } from "./secret";
import { isSignAlgorithm, signDigest } from "./sign";
import { type CertificateObject, type CertificateVersion, entryOf, type VaultStore } from "./store";
import type { Principal, TrustedIssuer } from "./token";

/** Everything the routes need; `vaultUrl` is known only once the server listens. */
export interface VaultContext {
  store: VaultStore;
  adminKey: string;
  issuer: TrustedIssuer;
  checkToken: (authorization: string | undefined) => Promise<Principal>;
  vaultUrl: () => string;
  now: () => Date;
  /** Where unexpected errors are reported (never with request content); stderr by default. */
  log?: (line: string) => void;
}

/** Bodies are small JSON documents (a policy, a digest); Key Vault's own limit is larger, this is plenty. */
export const maxBody = 256 * 1024;

/** The request handler, exported so tests can drive it without a port. */
export function createHandler(ctx: VaultContext) {
  const log = ctx.log ?? ((line: string) => console.error(line));
  return (req: IncomingMessage, res: ServerResponse) => {
    serve(ctx, req, res).catch((err: unknown) => {
      if (err instanceof KeyVaultError) return sendError(ctx, res, err);
      // The client went away while it sent its body: there is no one to answer, and nothing unexpected happened.
      if ((err as NodeJS.ErrnoException).code === "ECONNRESET" && req.destroyed) return;
      if (err instanceof BodyTooLargeError) {
        // What is left of the body is not read: the connection closes after the answer instead of draining it.
        res.setHeader("Connection", "close");
        return sendError(ctx, res, akv.bodyTooLarge(err.limit));
      }
      // Never echo the request: a body or header can hold a token.
      log(`keyvault: unexpected ${describeUnexpected(err)} on ${req.method}`);
      sendError(ctx, res, akv.internal());
    });
  };
}

function sendError(ctx: VaultContext, res: ServerResponse, err: KeyVaultError): void {
  if (err.status === 401)
    res.setHeader(
      "WWW-Authenticate",
      `Bearer authorization="${ctx.issuer.authorityHost}/${ctx.issuer.tenantId}", resource="https://vault.azure.net"`,
    );
  sendJson(res, err.status, err.body);
}

/** Key Vault's object names: 1-127 letters, digits and dashes. */
const namePattern = /^[0-9A-Za-z-]{1,127}$/;
const versionPattern = /^[0-9a-f]{32}$/i;
/** The api-versions the SDKs send: 7.0 to 7.6 (and previews) and the dated ones from 2025-07-01. */
const apiVersionPattern = /^(?:7\.\d(?:-preview(?:\.\d+)?)?|20\d\d-\d\d-\d\d(?:-preview)?)$/;

async function serve(ctx: VaultContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = URL.canParse(req.url ?? "/", "https://localhost")
    ? new URL(req.url ?? "/", "https://localhost")
    : undefined;
  if (!url) throw akv.badParameter("The request target is not a valid URL.");
  const parts = url.pathname.split("/").slice(1).map(safeDecode);
  const method = req.method ?? "GET";
  if (parts[0] === "_local") return adminRoute(ctx, req, res, parts.slice(1));
  // Every data-plane request is authenticated first: the SDKs' first request is the unauthenticated probe.
  const caller = await ctx.checkToken(req.headers.authorization);
  const apiVersion = url.searchParams.get("api-version");
  if (apiVersion === null) throw akv.missingApiVersion();
  if (!apiVersionPattern.test(apiVersion)) throw akv.badApiVersion(apiVersion);
  const op = { ctx, req, res, caller };
  if (await dispatch(collectionTable, op, method, parts)) return;
  if (namePattern.test(parts[1] ?? "") && (await dispatch(objectTable, op, method, parts))) return;
  throw akv.badRoute(method, routeShape(parts));
}

/** The collections' lists, with or without the trailing slash the SDKs may send. */
const collectionTable: Route<Op>[] = [
  route("GET", "certificates", listCertificates),
  route("GET", "certificates/", listCertificates),
  route("GET", "deletedcertificates", listDeleted),
  route("GET", "deletedcertificates/", listDeleted),
];

/**
 * The routes on one object, `:name` a valid object name (checked before the table is looked at). An absent
 * `:version`, or an empty one (a trailing slash), is the latest version.
 */
const objectTable: Route<Op>[] = [
  route("POST", "certificates/:name/create", (op, { name }) => createCertificate(op, name)),
  route("GET", "certificates/:name/pending", (op, { name }) => getPending(op, name)),
  route("GET", "certificates/:name/versions", (op, { name }) => listVersions(op, name)),
  route("GET", "certificates/:name/policy", (op, { name }) => getPolicy(op, name)),
  route("GET", "certificates/:name", (op, { name }) => getCertificate(op, name, "")),
  route("GET", "certificates/:name/:version", (op, { name, version }) => getCertificate(op, name, version)),
  route("PATCH", "certificates/:name", (op, { name }) => updateCertificate(op, name, "")),
  route(
    "PATCH",
    "certificates/:name/:version",
    (op, { name, version }) => updateCertificate(op, name, version),
    // The policy is not a version: a PATCH of it is not a route (a new policy is a create).
    (_, { version }) => version !== "policy",
  ),
  route("DELETE", "certificates/:name", (op, { name }) => deleteCertificate(op, name)),
  route("DELETE", "certificates/:name/", (op, { name }) => deleteCertificate(op, name)),
  route("POST", "deletedcertificates/:name/recover", (op, { name }) => recover(op, name)),
  route("GET", "deletedcertificates/:name", (op, { name }) => getDeleted(op, name)),
  route("GET", "deletedcertificates/:name/", (op, { name }) => getDeleted(op, name)),
  route("DELETE", "deletedcertificates/:name", (op, { name }) => purge(op, name)),
  route("DELETE", "deletedcertificates/:name/", (op, { name }) => purge(op, name)),
  route("GET", "keys/:name", (op, { name }) => getKey(op, name, "")),
  route("GET", "keys/:name/:version", (op, { name, version }) => getKey(op, name, version)),
  route("POST", "keys/:name/:version/sign", (op, { name, version }) => sign(op, name, version)),
  route("GET", "secrets/:name", (op, { name }) => getSecret(op, name, "")),
  route("GET", "secrets/:name/:version", (op, { name, version }) => getSecret(op, name, version)),
];

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return "\u0000";
  }
};

/** A path as the error may quote it: names and versions replaced by their kind, so no client text is echoed. */
const routeShape = (parts: string[]) =>
  `/${parts.map((p, i) => (i === 0 && /^[a-z]{1,30}$/.test(p) ? p : "{…}")).join("/")}`;

interface Op {
  ctx: VaultContext;
  req: IncomingMessage;
  res: ServerResponse;
  caller: Principal;
}

/** Refuses the caller without a role that grants the dataAction, as Key Vault's RBAC does (403 ForbiddenByRbac). */
function authorize({ ctx, caller }: Op, action: string, resource: string): void {
  const roles = entryOf(ctx.store.state.roleAssignments, caller.oid) ?? [];
  if (grants(roles, action)) return;
  const vault = "local";
  throw akv.forbidden(
    caller,
    action,
    `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/local/providers/microsoft.keyvault/vaults/${vault}/${resource}`,
    vault,
  );
}

const key = (name: string) => name.toLowerCase();
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function findCertificate(op: Op, name: string): CertificateObject {
  const c = entryOf(op.ctx.store.state.certificates, key(name));
  if (!c || c.versions.length === 0) throw akv.certificateNotFound(name);
  return c;
}

function findVersion(c: CertificateObject, version: string, notFound: () => KeyVaultError): CertificateVersion {
  if (version === "") return c.versions[c.versions.length - 1] ?? raise(notFound());
  if (!versionPattern.test(version)) throw notFound();
  return c.versions.find((v) => v.version === version.toLowerCase()) ?? raise(notFound());
}

const raise = (err: Error): never => {
  throw err;
};

/** The body as JSON, at most `maxBody` bytes (common/httpServer.ts readBody refuses a longer one). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, maxBody);
  if (text.trim() === "") throw akv.badParameter("The request body is empty; a JSON object is required.");
  try {
    return JSON.parse(text);
  } catch {
    throw akv.badParameter("The request body is not valid JSON.");
  }
}

async function createCertificate(op: Op, name: string): Promise<void> {
  authorize(op, actions.certificateCreate, `certificates/${name}`);
  const request = parseCreateRequest(await readJson(op.req));
  const { store, now } = op.ctx;
  if (entryOf(store.state.deletedCertificates, key(name))) throw akv.deletedButRecoverable(name);
  const issued = await issue(request.policy, now(), { enabled: request.enabled, tags: request.tags });
  const c = store.change((s) => {
    // Checked again: another create may have deleted or changed it while the key was made.
    if (entryOf(s.deletedCertificates, key(name))) throw akv.deletedButRecoverable(name);
    const existing = entryOf(s.certificates, key(name));
    const next: CertificateObject = {
      name: existing?.name ?? name,
      versions: [...(existing?.versions ?? []), issued.version],
      pending: { requestId: randomHex(), csr: issued.csr, version: issued.version.version, polled: false },
    };
    s.certificates[key(name)] = next;
    return next;
  });
  const vault = op.ctx.vaultUrl();
  op.res.setHeader("Location", `${vault}/certificates/${c.name}/pending?api-version=7.6`);
  op.res.setHeader("Retry-After", "0");
  sendJson(op.res, 202, pendingOperation(vault, c, false));
}

const randomHex = () => randomUUID().replaceAll("-", "");

/** The create operation completes when it is first polled: the key and certificate are already made. */
function getPending(op: Op, name: string): void {
  authorize(op, actions.certificateRead, `certificates/${name}`);
  const c = entryOf(op.ctx.store.state.certificates, key(name));
  if (!c?.pending) throw akv.pendingNotFound(name);
  if (!c.pending.polled)
    op.ctx.store.change((s) => {
      const p = entryOf(s.certificates, key(name))?.pending;
      if (p) p.polled = true;
    });
  sendJson(op.res, 200, pendingOperation(op.ctx.vaultUrl(), c, true));
}

function getCertificate(op: Op, name: string, version: string): void {
  authorize(op, actions.certificateRead, `certificates/${name}`);
  const c = findCertificate(op, name);
  const v = findVersion(c, version, () => akv.certificateNotFound(name, version || undefined));
  sendJson(op.res, 200, certificateBundle(op.ctx.vaultUrl(), c, v));
}

function getPolicy(op: Op, name: string): void {
  authorize(op, actions.certificateRead, `certificates/${name}`);
  const c = findCertificate(op, name);
  const v = findVersion(c, "", () => akv.certificateNotFound(name));
  sendJson(op.res, 200, policyBundle(op.ctx.vaultUrl(), c.name, v));
}

function listVersions(op: Op, name: string): void {
  authorize(op, actions.certificateRead, `certificates/${name}`);
  const c = findCertificate(op, name);
  const vault = op.ctx.vaultUrl();
  sendJson(op.res, 200, { value: c.versions.map((v) => certificateItem(vault, c, v, true)), nextLink: null });
}

function listCertificates(op: Op): void {
  authorize(op, actions.certificateRead, "certificates");
  const vault = op.ctx.vaultUrl();
  const value = Object.values(op.ctx.store.state.certificates).flatMap((c) => {
    const latest = c.versions[c.versions.length - 1];
    return latest ? [certificateItem(vault, c, latest, false)] : [];
  });
  sendJson(op.res, 200, { value, nextLink: null });
}

function listDeleted(op: Op): void {
  authorize(op, actions.certificateRead, "deletedcertificates");
  const vault = op.ctx.vaultUrl();
  const value = Object.values(op.ctx.store.state.deletedCertificates).flatMap((d) => {
    const latest = d.certificate.versions[d.certificate.versions.length - 1];
    if (!latest) return [];
    const { recoveryId, deletedDate, scheduledPurgeDate } = deletedBundle(vault, d, latest);
    return [{ ...certificateItem(vault, d.certificate, latest, false), recoveryId, deletedDate, scheduledPurgeDate }];
  });
  sendJson(op.res, 200, { value, nextLink: null });
}

/** Soft-delete: the certificate, its key and secret move aside for `recoverableDays`, the name stays taken. */
function deleteCertificate(op: Op, name: string): void {
  authorize(op, actions.certificateDelete, `certificates/${name}`);
  findCertificate(op, name);
  const at = seconds(op.ctx.now());
  const deleted = op.ctx.store.change((s) => {
    const c = entryOf(s.certificates, key(name));
    if (!c) throw akv.certificateNotFound(name);
    delete s.certificates[key(name)];
    const { pending: _, ...certificate } = c;
    const d = { certificate, deletedDate: at, scheduledPurgeDate: at + recoverableDays * 86400 };
    s.deletedCertificates[key(name)] = d;
    return d;
  });
  const latest = findVersion(deleted.certificate, "", () => akv.certificateNotFound(name));
  sendJson(op.res, 200, deletedBundle(op.ctx.vaultUrl(), deleted, latest));
}

function getDeleted(op: Op, name: string): void {
  authorize(op, actions.certificateRead, `deletedcertificates/${name}`);
  const d = entryOf(op.ctx.store.state.deletedCertificates, key(name));
  const latest = d?.certificate.versions[d.certificate.versions.length - 1];
  if (!d || !latest) throw akv.deletedNotFound(name);
  sendJson(op.res, 200, deletedBundle(op.ctx.vaultUrl(), d, latest));
}

function purge(op: Op, name: string): void {
  authorize(op, actions.certificatePurge, `deletedcertificates/${name}`);
  if (!entryOf(op.ctx.store.state.deletedCertificates, key(name))) throw akv.deletedNotFound(name);
  op.ctx.store.change((s) => {
    delete s.deletedCertificates[key(name)];
  });
  sendJson(op.res, 204, undefined);
}

/**
 * UpdateCertificate (`PATCH /certificates/{name}/{version}`, an empty version meaning the latest): tags, `enabled`,
 * and the policy's lifetime actions, which is what azurerm's update sends when only those change
 * (key_vault_certificate_resource.go, resourceKeyVaultCertificateUpdate). Any other policy change is a new version
 * made by a create, as azurerm does it; here it is refused with BadParameter rather than half-applied.
 */
async function updateCertificate(op: Op, name: string, version: string): Promise<void> {
  authorize(op, actions.certificateUpdate, `certificates/${name}`);
  const body = await readJson(op.req);
  if (!isRecord(body)) throw akv.badParameter("The request body must be a JSON object.");
  const unknown = Object.keys(body).filter((k) => !["tags", "attributes", "policy"].includes(k));
  if (unknown.length > 0) throw akv.badParameter("Only tags, attributes and policy.lifetime_actions can be updated.");
  const attributes = body.attributes === undefined ? {} : body.attributes;
  if (!isRecord(attributes) || (attributes.enabled !== undefined && typeof attributes.enabled !== "boolean"))
    throw akv.badParameter("attributes.enabled must be a boolean.");
  const policy = body.policy === undefined ? {} : body.policy;
  if (!isRecord(policy) || Object.keys(policy).some((k) => k !== "lifetime_actions"))
    throw akv.badParameter("Only policy.lifetime_actions can be updated; a new policy is a new version (create).");
  const actionsList = policy.lifetime_actions;
  if (actionsList !== undefined && (!Array.isArray(actionsList) || !actionsList.every(isRecord)))
    throw akv.badParameter("policy.lifetime_actions must be a list of objects.");
  const tags = body.tags === undefined ? undefined : updateTags(body.tags);
  const c = findCertificate(op, name);
  const v = findVersion(c, version, () => akv.certificateNotFound(name, version || undefined));
  const at = seconds(op.ctx.now());
  const updated = op.ctx.store.change((s) => {
    const target = entryOf(s.certificates, key(name))?.versions.find((x) => x.version === v.version);
    if (!target) throw akv.certificateNotFound(name, version || undefined);
    if (tags !== undefined) target.tags = tags;
    if (typeof attributes.enabled === "boolean") target.enabled = attributes.enabled;
    if (actionsList !== undefined) target.policy = { ...target.policy, lifetime_actions: actionsList };
    target.updated = at;
    return target;
  });
  sendJson(op.res, 200, certificateBundle(op.ctx.vaultUrl(), findCertificate(op, name), updated));
}

function updateTags(tags: unknown): Record<string, string> {
  if (!isRecord(tags) || !Object.values(tags).every((t) => typeof t === "string"))
    throw akv.badParameter("tags must be an object of strings.");
  return tags as Record<string, string>;
}

/** RecoverDeletedCertificate: the soft-deleted certificate, its key and secret come back under their name. */
function recover(op: Op, name: string): void {
  authorize(op, actions.certificateRecover, `deletedcertificates/${name}`);
  if (!entryOf(op.ctx.store.state.deletedCertificates, key(name))) throw akv.deletedNotFound(name);
  const c = op.ctx.store.change((s) => {
    const d = entryOf(s.deletedCertificates, key(name));
    if (!d) throw akv.deletedNotFound(name);
    delete s.deletedCertificates[key(name)];
    s.certificates[key(name)] = d.certificate;
    return d.certificate;
  });
  const latest = findVersion(c, "", () => akv.certificateNotFound(name));
  sendJson(op.res, 200, certificateBundle(op.ctx.vaultUrl(), c, latest));
}

function keyVersion(op: Op, name: string, version: string) {
  const notFound = () => akv.keyNotFound(name, version);
  const c = entryOf(op.ctx.store.state.certificates, key(name)) ?? raise(notFound());
  return { c, v: findVersion(c, version, notFound) };
}

function getKey(op: Op, name: string, version: string): void {
  authorize(op, actions.keyRead, `keys/${name}`);
  const { c, v } = keyVersion(op, name, version);
  if (!v.enabled) throw akv.disabled("get", "key");
  sendJson(op.res, 200, keyBundle(op.ctx.vaultUrl(), c, v));
}

async function sign(op: Op, name: string, version: string): Promise<void> {
  authorize(op, actions.keySign, `keys/${name}`);
  const body = await readJson(op.req);
  const { c, v } = keyVersion(op, name, version);
  if (!isRecord(body)) throw akv.badParameter("The request body must be a JSON object with alg and value.");
  if (!isSignAlgorithm(body.alg))
    throw akv.badParameter("alg: must be one of RS256, RS384, RS512, PS256, PS384, PS512 for an RSA key");
  if (typeof body.value !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(body.value))
    throw akv.badParameter("value: must be the digest, base64url");
  if (!v.enabled) throw akv.disabled("sign", "key");
  const at = seconds(op.ctx.now());
  if (at < v.nbf || at >= v.exp) throw akv.keyOutsideValidity();
  const signature = signDigest(createPrivateKey(v.privateKeyPem), body.alg, Buffer.from(body.value, "base64url"));
  sendJson(op.res, 200, {
    kid: `${op.ctx.vaultUrl()}/keys/${c.name}/${v.version}`,
    value: signature.toString("base64url"),
  });
}

/** A certificate's secret: the PFX (or PEM) with the key when it is exportable; never the key when it is not. */
async function getSecret(op: Op, name: string, version: string): Promise<void> {
  authorize(op, actions.secretGet, `secrets/${name}`);
  const notFound = () => akv.secretNotFound(name, version);
  const c = entryOf(op.ctx.store.state.certificates, key(name)) ?? raise(notFound());
  const v = findVersion(c, version, notFound);
  // The value of a disabled version is never served, the private key of an exportable one least of all.
  if (!v.enabled) throw akv.disabled("get", "secret");
  sendJson(op.res, 200, secretBundle(op.ctx.vaultUrl(), c, v, await secretValue(v)));
}

/**
 * `PUT /_local/roleAssignments/<principal object id>` `{"roles": [...]}` replaces a principal's roles (`[]`
 * removes them); `GET /_local/roleAssignments` lists them. Both carry the admin key as their bearer.
 */
async function adminRoute(ctx: VaultContext, req: IncomingMessage, res: ServerResponse, parts: string[]) {
  if (!bearerMatches(req.headers.authorization, ctx.adminKey))
    throw new KeyVaultError(401, "Unauthorized", "The admin routes need the admin key as the bearer token.");
  if (await dispatch(adminTable, { ctx, req, res }, req.method, parts)) return;
  throw akv.badRoute(req.method ?? "", routeShape(parts));
}

interface AdminOp {
  ctx: VaultContext;
  req: IncomingMessage;
  res: ServerResponse;
}

const listRoles = ({ ctx, res }: AdminOp) =>
  sendJson(res, 200, { value: roleAssignmentList(ctx.store.state.roleAssignments) });
const notAPrincipal = () => {
  throw akv.badParameter("The principal id must be an object id (a GUID).");
};

/** The admin routes under `/_local/`; a PUT whose principal is not a GUID is a bad parameter, not a bad route. */
const adminTable: Route<AdminOp>[] = [
  route("GET", "roleAssignments", listRoles),
  route("GET", "roleAssignments/", listRoles),
  route(
    "PUT",
    "roleAssignments/:id",
    async ({ ctx, req, res }, { id }) => {
      const body = await readJson(req);
      if (!isRecord(body) || !Array.isArray(body.roles) || !body.roles.every(isRoleName))
        throw akv.badParameter(`roles: must be a list of ${roleNames.map((r) => `"${r}"`).join(", ")}`);
      const roles = [...new Set(body.roles as RoleName[])];
      assignRoles(ctx, id, roles);
      sendJson(res, 200, { principalId: id.toLowerCase(), roles });
    },
    (_, { id }) => isGuid(id),
  ),
  route("PUT", "roleAssignments", notAPrincipal),
  route("PUT", "roleAssignments/:id", notAPrincipal),
];

export const roleAssignmentList = (assignments: Record<string, RoleName[]>) =>
  Object.entries(assignments).map(([principalId, roles]) => ({ principalId, roles }));

export function assignRoles(ctx: Pick<VaultContext, "store">, principalId: string, roles: RoleName[]): void {
  ctx.store.change((s) => {
    if (roles.length === 0) delete s.roleAssignments[principalId.toLowerCase()];
    else s.roleAssignments[principalId.toLowerCase()] = roles;
  });
}
