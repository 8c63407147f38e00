import { Agent } from "node:https";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { requestJson } from "../common/https";

/**
 * msal-node's network client with its own trust: the CA given here, not the
 * process environment (see common/https.ts). With no CA, Node's default
 * trust store applies, as for the real Entra ID. msal-node reads `body` as
 * an object, so a body that is not JSON is an empty one.
 */
export function networkClient(options: { ca?: string; timeoutMs?: number } = {}): INetworkModule {
  const agent = agentFor(options.ca);
  const send = async <T>(
    method: "GET" | "POST",
    url: string,
    opts?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const res = await requestJson<T>(url, {
      method,
      agent,
      headers: opts?.headers,
      body: opts?.body,
      timeoutMs: timeout ?? options.timeoutMs ?? 30_000,
    });
    return { status: res.status, headers: res.headers, body: res.body ?? ({} as T) };
  };
  return {
    sendGetRequestAsync: (url, opts, timeout) => send("GET", url, opts, timeout),
    sendPostRequestAsync: (url, opts) => send("POST", url, opts),
  };
}

/**
 * One keep-alive agent per CA for the process: each attempt's new msal-node
 * application and the JWKS fetch reuse its TLS connections instead of a
 * handshake per request. Idle keep-alive sockets are unref'd by Node's
 * Agent, so they never keep the process alive.
 */
const agents = new Map<string, Agent>();
function agentFor(ca: string | undefined): Agent {
  const key = ca ?? "";
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ ca, keepAlive: true });
    agents.set(key, agent);
  }
  return agent;
}
