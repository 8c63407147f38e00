import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DirectoryAdmin } from "./admin";
import { DirectoryError } from "./directory";
import { endpoints, instanceDiscovery, jwks, openidConfiguration } from "./discovery";
import { aadsts, EntraError, errorBody } from "./errors";
import type { Fault, FaultQueue } from "./faults";
import { clientCredentialsGrant } from "./grant";
import type { SigningKey } from "./token";

/** Everything the routes need; `host` is known only once the server listens. */
export interface EntraContext {
  admin: DirectoryAdmin;
  signing: SigningKey & { jwk: Record<string, unknown>; certificateDerBase64: string };
  host: () => string;
  delayMs: number;
  faults: FaultQueue;
  now: () => Date;
}

const maxBody = 1 << 20;

/** The request handler, exported so tests can drive it without a port. */
export function createHandler(ctx: EntraContext) {
  return (req: IncomingMessage, res: ServerResponse) => {
    route(ctx, req, res).catch((err: unknown) => {
      // Never echo the request: a body can hold an assertion.
      if (!res.headersSent)
        sendJson(res, 500, {
          error: "server_error",
          error_description: err instanceof Error ? err.name : "internal error",
        });
    });
  };
}

async function route(ctx: EntraContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "https://localhost");
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts[0] === "graph" && parts[1] === "v1.0") return adminRoute(ctx, req, res, parts.slice(2));
  if (parts[0] === "_local" && parts[1] === "faults" && req.method === "POST") return faultRoute(ctx, req, res);
  if (req.method === "GET" && parts.join("/") === "common/discovery/instance") {
    return sendJson(res, 200, instanceDiscovery(ctx.host(), url.searchParams.get("authorization_endpoint")));
  }
  const [tenant, ...rest] = parts;
  const path = rest.join("/");
  if (req.method === "GET" && path === "v2.0/.well-known/openid-configuration") {
    if (!knownTenant(ctx, tenant)) return sendError(res, aadsts.tenantNotFoundAtDiscovery(tenant));
    return sendJson(res, 200, openidConfiguration(ctx.host(), tenant));
  }
  if (req.method === "GET" && path === "discovery/v2.0/keys") {
    if (!knownTenant(ctx, tenant)) return sendError(res, aadsts.tenantNotFoundAtDiscovery(tenant));
    return sendJson(
      res,
      200,
      jwks(ctx.signing.jwk, ctx.signing.kid, ctx.signing.certificateDerBase64, endpoints(ctx.host(), tenant).issuer),
    );
  }
  if (req.method === "POST" && path === "oauth2/v2.0/token") return tokenRoute(ctx, req, res, tenant);
  sendJson(res, 404, { error: "not_found", error_description: `No route for ${req.method} ${url.pathname}.` });
}

const knownTenant = (ctx: EntraContext, tenant: string | undefined) =>
  ctx.admin.state.tenants.some((t) => t.id === tenant);

async function tokenRoute(ctx: EntraContext, req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
  const fault = ctx.faults.next();
  if (fault?.kind === "hang") return; // left open until the client gives up or the server stops
  if (fault) {
    res.setHeader("Retry-After", String(fault.retryAfterSeconds ?? 1));
    const status = fault.kind === "throttle" ? 429 : 503;
    const error = fault.kind === "throttle" ? "temporarily_unavailable" : "service_unavailable";
    return sendJson(res, status, { error, error_description: `Injected fault: HTTP ${status}.` });
  }
  const form = new URLSearchParams(await readBody(req));
  const correlationId = form.get("client-request-id") ?? randomUUID();
  res.setHeader("client-request-id", correlationId);
  res.setHeader("Cache-Control", "no-store, no-cache");
  res.setHeader("Pragma", "no-cache");
  if (!knownTenant(ctx, tenant)) return sendError(res, aadsts.tenantNotFound(tenant), correlationId);
  const host = ctx.host();
  try {
    const body = await clientCredentialsGrant(
      {
        view: { state: ctx.admin.state, now: ctx.now(), delayMs: ctx.delayMs },
        tenantId: tenant,
        authorityHost: host,
        tokenEndpoint: endpoints(host, tenant).token,
        signing: ctx.signing,
      },
      form,
    );
    sendJson(res, 200, body);
  } catch (err) {
    if (!(err instanceof EntraError)) throw err;
    sendError(res, err, correlationId);
  }
}

async function faultRoute(ctx: EntraContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = JSON.parse((await readBody(req)) || "{}") as {
    kind?: string;
    count?: number;
    retryAfterSeconds?: number;
  };
  const retryAfterSeconds = body.retryAfterSeconds ?? 1;
  const fault: Fault | undefined =
    body.kind === "hang"
      ? { kind: "hang" }
      : body.kind === "throttle" || body.kind === "unavailable"
        ? { kind: body.kind, retryAfterSeconds }
        : undefined;
  if (!fault)
    return sendJson(res, 400, {
      error: "bad_request",
      error_description: "kind must be throttle, unavailable or hang.",
    });
  ctx.faults.inject(fault, body.count ?? 1);
  sendJson(res, 204, undefined);
}

/** Graph-shaped admin routes for the home tenant. */
async function adminRoute(
  ctx: EntraContext,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
): Promise<void> {
  const a = ctx.admin;
  const body = req.method === "POST" || req.method === "PATCH" ? JSON.parse((await readBody(req)) || "{}") : {};
  const [collection, id, sub, subId] = parts;
  const m = req.method;
  try {
    if (collection === "organization" && m === "GET") return sendJson(res, 200, { value: a.state.tenants });
    if (collection === "applications") {
      if (!id && m === "GET") return sendJson(res, 200, { value: a.state.applications });
      if (!id && m === "POST") return sendJson(res, 201, a.createApplication(body));
      if (id && !sub && m === "GET")
        return sendJson(res, 200, a.state.applications.find((x) => x.id === id) ?? notFound(id));
      if (id && !sub && m === "PATCH") return sendJson(res, 200, a.updateApplication(id, body));
      if (id && !sub && m === "DELETE") return (a.deleteApplication(id), sendJson(res, 204, undefined));
      if (sub === "keyCredentials" && !subId && m === "POST") return sendJson(res, 201, a.addKeyCredential(id, body));
      if (sub === "keyCredentials" && subId && m === "DELETE")
        return (a.removeKeyCredential(id, subId), sendJson(res, 204, undefined));
    }
    if (collection === "servicePrincipals") {
      if (!id && m === "GET") return sendJson(res, 200, { value: a.state.servicePrincipals });
      if (!id && m === "POST") return sendJson(res, 201, a.createServicePrincipal(body.appId));
      if (id && !sub && m === "DELETE") return (a.deleteServicePrincipal(id), sendJson(res, 204, undefined));
      // As Graph and the azuread provider do it: assignments made and removed on the resource (contract 3).
      if (sub === "appRoleAssignedTo" && !subId && m === "POST")
        return sendJson(res, 201, a.assignAppRole({ ...body, resourceId: id }));
      if (sub === "appRoleAssignedTo" && subId && m === "DELETE")
        return (a.removeAppRoleAssignment(subId), sendJson(res, 204, undefined));
      if (sub === "appRoleAssignments" && !subId && m === "POST")
        return sendJson(res, 201, a.assignAppRole({ ...body, principalId: body.principalId ?? id }));
      if (sub === "appRoleAssignments" && subId && m === "DELETE")
        return (a.removeAppRoleAssignment(subId), sendJson(res, 204, undefined));
    }
    sendJson(res, 404, graphError("Request_ResourceNotFound", `No route for ${m} /${parts.join("/")}.`));
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    sendJson(res, err.status, graphError(err.code, err.message));
  }
}

function notFound(id: string): never {
  throw new DirectoryError("Request_ResourceNotFound", `Resource ${id} does not exist.`, 404);
}

const graphError = (code: string, message: string) => ({ error: { code, message } });

function sendError(res: ServerResponse, err: EntraError, correlationId?: string): void {
  sendJson(res, err.status, errorBody(err, correlationId));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new EntraError("invalid_request", 900144, "The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
