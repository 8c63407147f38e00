import { Agent } from "node:https";
import { messageOf } from "../../common/errors";
import { requestJson } from "../../common/https";
import { ProviderError } from "../engine/provider";
import type { Plain } from "../engine/wire";

/** A Graph call the local Entra ID refused, with Graph's error code (never a request value). */
export class GraphError extends ProviderError {
  constructor(
    readonly graphCode: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type GraphCall = (method: Method, path: string, body?: Plain) => Promise<Plain>;

/** The identity the calls are made as, when it holds less than Application.ReadWrite.All. */
export interface GraphCaller {
  objectId: string;
  /** Its Microsoft Graph application permissions, e.g. Application.ReadWrite.OwnedBy. */
  roles: string[];
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** How a Graph request travels: over HTTPS to the local Entra ID, or (in the program tests) to its routes in-process. */
export type GraphTransport = (
  method: Method,
  path: string,
  headers: Record<string, string>,
  body?: Plain,
) => Promise<{ status: number; body?: Plain }>;

/**
 * Graph calls over a transport, sending the admin key as a bearer token (the local Entra ID refuses an admin call
 * without it). With a caller, its identity and permissions go in the local server's caller headers, so that Graph's
 * ownership rule for Application.ReadWrite.OwnedBy applies. A 4xx or 5xx becomes a GraphError with Graph's code.
 */
export function graphOver(transport: GraphTransport, adminKey: string, caller?: GraphCaller): GraphCall {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${adminKey}`,
    ...(caller ? { "X-Local-Caller-Object-Id": caller.objectId, "X-Local-Caller-Roles": caller.roles.join(",") } : {}),
  };
  return async (method, path, body) => {
    const res = await transport(method, path, headers, body);
    if (res.status >= 400) throw graphError(method, path, res.status, res.body ?? null);
    return res.body ?? null;
  };
}

/** The local Entra ID's Graph-shaped admin routes over HTTPS, trusting only its CA. */
export function graphClient(authorityHost: string, caPem: string, adminKey: string, caller?: GraphCaller): GraphCall {
  return graphOver(httpsTransport(authorityHost, caPem), adminKey, caller);
}

function httpsTransport(authorityHost: string, caPem: string): GraphTransport {
  // An idle kept-alive socket is let go after 4 s, before the server's keepAliveTimeout (Node's default, 5 s) closes
  // it: a request written to a socket the server is closing fails with ECONNRESET, and a POST cannot be retried
  // blindly. Long updates (ten clients' keys on two cores) leave sockets idle that long (the agent destroys a free
  // socket on its timeout: node lib/_http_agent.js, installListeners' onTimeout).
  const agent = new Agent({ ca: caPem, keepAlive: true, timeout: 4_000 });
  return async (method, path, headers, body) => {
    try {
      return await requestJson<Plain>(`${authorityHost}/graph/v1.0/${path}`, {
        method,
        agent,
        headers,
        ...(body === undefined ? {} : { json: body }),
      });
    } catch (err) {
      throw new ProviderError(`Graph ${method} /${path} could not reach the local Entra ID: ${messageOf(err)}`);
    }
  };
}

function graphError(method: string, path: string, status: number, body: Plain): GraphError {
  const error = typeof body === "object" && body !== null && !Array.isArray(body) ? body.error : undefined;
  const e = typeof error === "object" && error !== null && !Array.isArray(error) ? error : {};
  const code = typeof e.code === "string" ? e.code : `HTTP${status}`;
  const message = typeof e.message === "string" ? e.message : "";
  return new GraphError(code, status, `Graph ${method} /${path} failed (${status} ${code}): ${message}`);
}
