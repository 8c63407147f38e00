import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerMatches } from "../common/adminKey";
import { BodyTooLargeError, describeUnexpected, readBody, sendJson } from "../common/httpServer";
import { dispatch, type Route, route } from "../common/routeTable";
import { adminRoute, localTable } from "./adminRoutes";
import type { EntraContext } from "./context";
import { DirectoryError } from "./directory";
import {
  endpoints,
  instanceDiscovery,
  jwks,
  openidConfiguration,
  openidConfigurationV1,
  tenantPlaceholder,
} from "./discovery";
import { aadsts, EntraError, errorBody } from "./errors";
import { clientCredentialsGrant } from "./grant";
import { correlationIdOf, graphError } from "./http";
import { lifetimeSeconds } from "./token";
import { kerberosRoute, userinfoRoute } from "./userinfo";

/** A token request body; Entra ID's own limit is not documented, 1 MiB is far above any real request. */
export const maxTokenBody = 1 << 20;

/** The request handler, exported so tests can drive it without a port. */
export function createHandler(ctx: EntraContext) {
  const log = ctx.log ?? ((line: string) => console.error(line));
  return (req: IncomingMessage, res: ServerResponse) => {
    const admin = isAdminPath(rawPath(req.url));
    serve(ctx, req, res).catch((err: unknown) => {
      // Never echo the request: a body can hold an assertion.
      log(
        `entra: unexpected ${describeUnexpected(err)} on ${req.method} ${admin ? "admin route" : "token service route"}`,
      );
      if (admin) return sendJson(res, 500, graphError("generalException", "An unexpected error occurred."));
      sendJson(res, 500, errorBody(aadsts.serviceError()));
    });
  };
}

const isAdminPath = (path: string) => path.startsWith("/graph/") || path.startsWith("/_local/");

/**
 * The path of a request target as sent, without the `scheme://authority` or
 * `//authority` an absolute-form target starts with: enough to tell which
 * route's error shape a target URL cannot parse gets.
 */
const rawPath = (target = "/") => target.replace(/^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/[^/?#]*/, "");

/** A token service request as the table's handlers take it. */
interface ServiceRequest {
  ctx: EntraContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

/** The token service's routes; `:tenant` is a tenant id, `common` or `organizations`, or anything else (refused). */
const serviceTable: Route<ServiceRequest>[] = [
  route("GET", "common/discovery/instance", ({ ctx, res, url }) =>
    sendJson(res, 200, instanceDiscovery(ctx.host(), url.searchParams.get("authorization_endpoint"))),
  ),
  route("*", "oidc/userinfo", ({ ctx, req, res }) => userinfoRoute(ctx.host(), req, res)),
  route(
    "*",
    ":tenant/kerberos",
    ({ res }) => kerberosRoute(res),
    ({ ctx }, { tenant }) => tenantOf(ctx, tenant) !== undefined || isMultiTenant(tenant),
  ),
  route("GET", ":tenant/v2.0/.well-known/openid-configuration", (r, { tenant }) => discovery(r, tenant, "v2.0")),
  route("GET", ":tenant/.well-known/openid-configuration", (r, { tenant }) => discovery(r, tenant, "v1.0")),
  route("GET", ":tenant/discovery/v2.0/keys", (r, { tenant }) => keys(r, tenant, "v2.0")),
  route("GET", ":tenant/discovery/keys", (r, { tenant }) => keys(r, tenant, "v1.0")),
  route("POST", ":tenant/oauth2/v2.0/token", (r, { tenant }) => tokenRoute(r, tenant, "v2.0")),
  route("POST", ":tenant/oauth2/token", (r, { tenant }) => tokenRoute(r, tenant, "v1.0")),
];

async function serve(ctx: EntraContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = URL.canParse(req.url ?? "/", "https://localhost")
    ? new URL(req.url ?? "/", "https://localhost")
    : undefined;
  // A target node accepts but URL cannot parse, such as `http://[` or `//x:99999/`: 400 in the route's shape.
  if (!url)
    return isAdminPath(rawPath(req.url))
      ? sendJson(res, 400, graphError("BadRequest", "The request target is not a valid URL."))
      : sendError(res, aadsts.invalidRequestTarget());
  const parts = url.pathname.split("/").filter(Boolean);
  if (isAdminPath(url.pathname)) {
    // Every admin request carries the admin key (it can change the directory); Graph answers a missing or bad token so.
    if (!bearerMatches(req.headers.authorization, ctx.adminKey)) {
      const message = req.headers.authorization ? "Access token validation failure." : "Access token is empty.";
      return sendJson(res, 401, graphError("InvalidAuthenticationToken", message));
    }
    try {
      if (parts[0] === "graph" && parts[1] === "v1.0") return await adminRoute(ctx, req, res, parts.slice(2));
      if (await dispatch(localTable, { ctx, req, res }, req.method, parts)) return;
      return sendJson(
        res,
        404,
        graphError("Request_ResourceNotFound", `No route for ${req.method} ${clip(url.pathname)}.`),
      );
    } catch (err) {
      if (err instanceof DirectoryError) return sendJson(res, err.status, graphError(err.code, err.message));
      if (err instanceof BodyTooLargeError) return sendJson(res, 400, graphError("BadRequest", err.message));
      throw err;
    }
  }
  if (await dispatch(serviceTable, { ctx, req, res, url }, req.method, parts)) return;
  sendJson(res, 404, { error: "not_found", error_description: `No route for ${req.method} ${clip(url.pathname)}.` });
}

const isMultiTenant = (segment: string) => segment === "common" || segment === "organizations";

/** A tenant id in the path, in any case, is the tenant (Entra ID treats GUIDs without case). */
function tenantOf(ctx: EntraContext, segment: string): string | undefined {
  const wanted = segment.toLowerCase();
  return ctx.admin.state.tenants.find((t) => t.id.toLowerCase() === wanted)?.id;
}

/** The tenant a discovery route names, or Entra ID's answer for an unknown one. */
function discoveryTenant({ ctx, res }: ServiceRequest, segment: string): string | undefined {
  const tenant = tenantOf(ctx, segment);
  if (tenant || isMultiTenant(segment)) return tenant ?? segment;
  sendError(res, aadsts.tenantNotFoundAtDiscovery(clip(segment)));
  return undefined;
}

/** The OpenID configuration, v1.0 or v2.0. */
function discovery(r: ServiceRequest, segment: string, version: "v1.0" | "v2.0"): void {
  const name = discoveryTenant(r, segment);
  if (name === undefined) return;
  const document = version === "v1.0" ? openidConfigurationV1 : openidConfiguration;
  sendJson(r.res, 200, document(r.ctx.host(), name, isMultiTenant(segment)));
}

/** The signing keys; v2.0's carry the issuer, with the placeholder for the multi-tenant names. */
function keys(r: ServiceRequest, segment: string, version: "v1.0" | "v2.0"): void {
  const name = discoveryTenant(r, segment);
  if (name === undefined) return;
  const issuer =
    version === "v1.0" ? undefined : endpoints(r.ctx.host(), isMultiTenant(segment) ? tenantPlaceholder : name).issuer;
  const s = r.ctx.signing;
  sendJson(r.res, 200, jwks(s.jwk, s.kid, s.certificateDerBase64, issuer));
}

async function tokenRoute(
  { ctx, req, res, url }: ServiceRequest,
  segment: string,
  endpoint: "v1.0" | "v2.0",
): Promise<void> {
  let correlationId = correlationIdOf(req.headers["client-request-id"], url.searchParams.get("client-request-id"));
  try {
    const fault = ctx.faults.next();
    if (fault?.kind === "hang") return; // left open until the client gives up or the server stops
    if (fault) {
      res.setHeader("Retry-After", String(fault.retryAfterSeconds ?? 1));
      const status = fault.kind === "throttle" ? 429 : 503;
      const error = fault.kind === "throttle" ? "temporarily_unavailable" : "service_unavailable";
      return sendJson(res, status, { error, error_description: `Injected fault: HTTP ${status}.` });
    }
    const form = new URLSearchParams(await readBody(req, maxTokenBody));
    correlationId = correlationIdOf(
      req.headers["client-request-id"],
      url.searchParams.get("client-request-id"),
      form.get("client-request-id"),
    );
    res.setHeader("client-request-id", correlationId);
    res.setHeader("Cache-Control", "no-store, no-cache");
    res.setHeader("Pragma", "no-cache");
    const tenant = tenantOf(ctx, segment);
    if (!tenant) throw aadsts.tenantNotFound(clip(segment));
    const host = ctx.host();
    const now = ctx.now();
    const e = endpoints(host, tenant);
    const body = await clientCredentialsGrant(
      {
        view: { state: ctx.admin.state, now, delayMs: ctx.delayMs },
        tenantId: tenant,
        authorityHost: host,
        tokenEndpoints: [e.token, e.v1.token],
        signing: ctx.signing,
      },
      form,
      endpoint,
    );
    if (endpoint === "v2.0") {
      const { resource: _, ...v2 } = body;
      return sendJson(res, 200, v2);
    }
    // The v1.0 endpoint answers with strings and names the resource, as Entra ID's v1.0 endpoint does:
    // https://learn.microsoft.com/previous-versions/azure/active-directory/azuread-dev/v1-oauth2-client-creds-grant-flow#service-to-service-access-token-response
    const iat = Math.floor(now.getTime() / 1000);
    return sendJson(res, 200, {
      token_type: body.token_type,
      expires_in: String(body.expires_in),
      ext_expires_in: String(body.ext_expires_in),
      expires_on: String(iat + lifetimeSeconds),
      not_before: String(iat),
      resource: body.resource,
      access_token: body.access_token,
    });
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendError(res, aadsts.bodyTooLarge(err.limit), correlationId);
    if (err instanceof EntraError) return sendError(res, err, correlationId);
    throw err;
  }
}

/** Client text quoted in an error is cut short. */
const clip = (s: string) => (s.length > 128 ? `${s.slice(0, 128)}...` : s);

function sendError(res: ServerResponse, err: EntraError, correlationId?: string): void {
  sendJson(res, err.status, errorBody(err, correlationId));
}
