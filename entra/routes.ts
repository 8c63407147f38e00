import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerMatches } from "../common/adminKey";
import { BodyTooLargeError, describeUnexpected, readBody, sendJson } from "../common/httpServer";
import type { DirectoryAdmin } from "./admin";
import { adminRoute, faultRoute } from "./adminRoutes";
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
import type { FaultQueue } from "./faults";
import { clientCredentialsGrant } from "./grant";
import { correlationIdOf, graphError } from "./http";
import { lifetimeSeconds, type SigningKey } from "./token";
import { kerberosRoute, userinfoRoute } from "./userinfo";

/** Everything the routes need; `host` is known only once the server listens. */
export interface EntraContext {
  admin: DirectoryAdmin;
  /** The bearer key `/graph/...` and `/_local/...` requests must carry. */
  adminKey: string;
  signing: SigningKey & { jwk: Record<string, unknown>; certificateDerBase64: string };
  host: () => string;
  delayMs: number;
  faults: FaultQueue;
  now: () => Date;
  /** Where unexpected errors are reported (never with request content); stderr by default. */
  log?: (line: string) => void;
}

/** A token request body; Entra ID's own limit is not documented, 1 MiB is far above any real request. */
export const maxTokenBody = 1 << 20;

/** The request handler, exported so tests can drive it without a port. */
export function createHandler(ctx: EntraContext) {
  const log = ctx.log ?? ((line: string) => console.error(line));
  return (req: IncomingMessage, res: ServerResponse) => {
    const admin = isAdminPath(rawPath(req.url));
    route(ctx, req, res).catch((err: unknown) => {
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

async function route(ctx: EntraContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    // Contract 2: every admin request carries the admin key; Graph answers a missing or bad token so.
    if (!bearerMatches(req.headers.authorization, ctx.adminKey)) {
      const message = req.headers.authorization ? "Access token validation failure." : "Access token is empty.";
      return sendJson(res, 401, graphError("InvalidAuthenticationToken", message));
    }
    try {
      if (parts[0] === "graph" && parts[1] === "v1.0") return await adminRoute(ctx, req, res, parts.slice(2));
      if (parts[0] === "_local" && parts[1] === "faults" && parts.length === 2) return await faultRoute(ctx, req, res);
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
  if (req.method === "GET" && parts.join("/") === "common/discovery/instance") {
    return sendJson(res, 200, instanceDiscovery(ctx.host(), url.searchParams.get("authorization_endpoint")));
  }
  if (parts.join("/") === "oidc/userinfo") return userinfoRoute(ctx.host(), req, res);
  const [segment = "", ...rest] = parts;
  const path = rest.join("/");
  if (path === "kerberos" && (tenantOf(ctx, segment) || segment === "common" || segment === "organizations"))
    return kerberosRoute(res);
  const tenant = tenantOf(ctx, segment);
  const multiTenant = segment === "common" || segment === "organizations";
  const host = ctx.host();
  if (req.method === "GET") {
    const discovery = path === "v2.0/.well-known/openid-configuration" || path === ".well-known/openid-configuration";
    const keys = path === "discovery/v2.0/keys" || path === "discovery/keys";
    if (discovery || keys) {
      if (!tenant && !multiTenant) return sendError(res, aadsts.tenantNotFoundAtDiscovery(clip(segment)));
      const name = tenant ?? segment;
      const v1 = !path.includes("v2.0");
      if (discovery)
        return sendJson(res, 200, (v1 ? openidConfigurationV1 : openidConfiguration)(host, name, multiTenant));
      const issuer = v1 ? undefined : endpoints(host, multiTenant ? tenantPlaceholder : name).issuer;
      const s = ctx.signing;
      return sendJson(res, 200, jwks(s.jwk, s.kid, s.certificateDerBase64, issuer));
    }
  }
  if (req.method === "POST" && (path === "oauth2/v2.0/token" || path === "oauth2/token")) {
    return tokenRoute(ctx, req, res, url, segment, path === "oauth2/token" ? "v1.0" : "v2.0");
  }
  sendJson(res, 404, { error: "not_found", error_description: `No route for ${req.method} ${clip(url.pathname)}.` });
}

/** A tenant id in the path, in any case, is the tenant (Entra ID treats GUIDs without case). */
function tenantOf(ctx: EntraContext, segment: string): string | undefined {
  const wanted = segment.toLowerCase();
  return ctx.admin.state.tenants.find((t) => t.id.toLowerCase() === wanted)?.id;
}

async function tokenRoute(
  ctx: EntraContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
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
