import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { createLoopbackTls } from "../../common/loopbackTls";

/** A request as the proxy saw it: what a hostile or broken service in the middle would have in hand. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** The bearer token sent, if any. */
  bearer?: string;
  body: string;
}

/** What the proxy answers instead of forwarding: a status and a JSON body, or a connection cut without an answer. */
export type ProxyAnswer = { status: number; headers?: Record<string, string>; body: unknown } | "reset";

export interface HostileProxy {
  /** `https://localhost:<port>`: put it where the real service's origin would be. */
  origin: string;
  /** The CA of the proxy's own TLS certificate. */
  caPem: string;
  /** Every request seen, forwarded or not. */
  seen: SeenRequest[];
  /** Every response body forwarded from the service (tokens among them). */
  forwarded: string[];
  /** Decides each request: an answer of its own, or undefined to forward it. Set per test. */
  decide: (req: SeenRequest) => ProxyAnswer | undefined;
  stop(): Promise<void>;
}

/**
 * An HTTPS server on loopback, with its own CA, in front of a real local service (`target`, trusted
 * through `targetCa`): it forwards every request unchanged unless `decide` answers it, and it sees every
 * bearer token and body that passes. Tests use it to make a real service fail in ways it does not by itself
 * (a 429 or a 500, a reset connection, an error message that echoes the caller's token), and to know the
 * secrets that went by, so that they can look for them in what the client printed. With `rewriteOrigin`, the
 * target's origin in a forwarded body becomes the proxy's (a discovery document's endpoints then lead back to it).
 */
export async function startHostileProxy(
  target: string,
  targetCa: string,
  options: { rewriteOrigin?: boolean } = {},
): Promise<HostileProxy> {
  const tls = await createLoopbackTls(`CN=hostile proxy CA ${randomUUID()}`);
  const upstream = new URL(target);
  const proxy: HostileProxy = {
    origin: "",
    caPem: tls.caPem,
    seen: [],
    forwarded: [],
    decide: () => undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const auth = req.headers.authorization;
    const seen: SeenRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      bearer: auth?.startsWith("Bearer ") ? auth.slice(7) : undefined,
      body: body.toString("utf8"),
    };
    proxy.seen.push(seen);
    const answer = proxy.decide(seen);
    if (answer === "reset") {
      req.socket.destroy();
      return;
    }
    if (answer) {
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...answer.headers });
      res.end(text);
      return;
    }
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: seen.method,
        path: seen.path,
        headers: { ...req.headers, host: upstream.host },
        ca: targetCa,
      },
      async (answered) => {
        const parts: Buffer[] = [];
        for await (const part of answered) parts.push(part as Buffer);
        let text = Buffer.concat(parts).toString("utf8");
        proxy.forwarded.push(text);
        if (options.rewriteOrigin) text = text.split(upstream.origin).join(proxy.origin);
        const { "content-length": _length, ...headers } = answered.headers;
        res.writeHead(answered.statusCode ?? 502, { ...headers, "content-length": Buffer.byteLength(text) });
        res.end(text);
      },
    );
    // A failure after the answer began can only cut it; before, it is a 502.
    out.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    out.end(body);
  };
  const server = createServer({ cert: tls.serverCertPem, key: tls.serverKeyPem }, (req, res) => {
    handle(req, res).catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  return proxy;
}
