import { Agent, request } from "node:https";
import type { Plain } from "../engine/wire";
import { ProviderError } from "./provider";

/** A Graph call the local Entra ID refused, with Graph's error code (never a request value). */
export class GraphError extends ProviderError {
  constructor(
    readonly graphCode: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "GraphError";
  }
}

export type GraphCall = (method: string, path: string, body?: Plain) => Promise<Plain>;

/**
 * The local Entra ID's Graph-shaped admin routes over HTTPS, trusting only
 * its CA and sending its admin key as a bearer token (contract 2).
 */
export function graphClient(authorityHost: string, caPem: string, adminKey: string): GraphCall {
  const agent = new Agent({ ca: caPem, keepAlive: true });
  return (method, path, body) => send(agent, adminKey, method, `${authorityHost}/graph/v1.0/${path}`, body);
}

function send(agent: Agent, adminKey: string, method: string, url: string, body?: Plain): Promise<Plain> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { Authorization: `Bearer ${adminKey}` };
    if (text !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = Buffer.byteLength(text);
    }
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const raw = Buffer.concat(chunks).toString("utf8");
        let parsed: Plain = null;
        try {
          parsed = raw ? (JSON.parse(raw) as Plain) : null;
        } catch {
          return reject(new GraphError("InvalidResponse", status, `Graph ${method} answered ${status} with no JSON`));
        }
        if (status >= 400) return reject(graphError(method, url, status, parsed));
        resolve(parsed);
      });
    });
    req.on("error", (err) =>
      reject(new ProviderError(`Graph ${method} could not reach the local Entra ID: ${err.message}`)),
    );
    if (text !== undefined) req.write(text);
    req.end();
  });
}

function graphError(method: string, url: string, status: number, body: Plain): GraphError {
  const error = typeof body === "object" && body !== null && !Array.isArray(body) ? body.error : undefined;
  const e = typeof error === "object" && error !== null && !Array.isArray(error) ? error : {};
  const code = typeof e.code === "string" ? e.code : `HTTP${status}`;
  const message = typeof e.message === "string" ? e.message : "";
  const path = new URL(url).pathname.replace(/^\/graph\/v1\.0/, "");
  return new GraphError(code, status, `Graph ${method} ${path} failed (${status} ${code}): ${message}`);
}
