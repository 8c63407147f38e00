import { Agent, request } from "node:https";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";

/**
 * msal-node's network client with its own trust: the CA given here, not the
 * process environment (NODE_EXTRA_CA_CERTS is read once at start and is
 * already set to the system bundle on many machines). With no CA, Node's
 * default trust store applies, as for the real Entra ID.
 */
export function networkClient(options: { ca?: string; timeoutMs?: number } = {}): INetworkModule {
  const agent = new Agent({ ca: options.ca });
  const send = <T>(method: string, url: string, opts?: NetworkRequestOptions, timeout?: number) =>
    sendRequest<T>(agent, method, url, opts, timeout ?? options.timeoutMs ?? 30_000);
  return {
    sendGetRequestAsync: (url, opts, timeout) => send("GET", url, opts, timeout),
    sendPostRequestAsync: (url, opts) => send("POST", url, opts),
  };
}

function sendRequest<T>(
  agent: Agent,
  method: string,
  url: string,
  opts: NetworkRequestOptions | undefined,
  timeoutMs: number,
): Promise<NetworkResponse<T>> {
  return new Promise((resolve, reject) => {
    const body = opts?.body;
    const headers: Record<string, string | number> = { ...(opts?.headers ?? {}) };
    if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
    const req = request(url, { method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), body: parseBody(text) as T });
      });
    });
    req.on("timeout", () => req.destroy(new NetworkTimeoutError(url, timeoutMs)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A request that got no answer in time. */
export class NetworkTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`no answer from ${new URL(url).origin} within ${timeoutMs} ms`);
    this.name = "NetworkTimeoutError";
  }
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
