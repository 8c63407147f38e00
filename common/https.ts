import { Agent, request } from "node:https";
import { CodedError } from "./errors";

export interface JsonRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  /** Sent as is (e.g. a form); use `json` for a JSON body. */
  body?: string;
  /** Sent as JSON with its content type. */
  json?: unknown;
  /**
   * The CA to trust, explicitly: never the process environment
   * (NODE_EXTRA_CA_CERTS is read once at start and is already set to the
   * system bundle on many machines). Without it, Node's default trust store
   * applies, as for the real Entra ID and Graph.
   */
  ca?: string;
  /** Reuse one agent (and its connections) across requests; its CA applies, not `ca`. */
  agent?: Agent;
  timeoutMs?: number;
}

export interface JsonResponse<T = unknown> {
  status: number;
  /** Lower-case names, repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  body: T | undefined;
}

/** A request that got no answer in time. */
export class HttpTimeoutError extends CodedError {
  static override readonly code = "ERR_HTTP_TIMEOUT";
  constructor(url: string, timeoutMs: number) {
    super(`no answer from ${new URL(url).origin} within ${timeoutMs} ms`);
  }
}

/** An answer larger than any JSON this project exchanges. */
export class HttpResponseTooLargeError extends CodedError {
  static override readonly code = "ERR_HTTP_RESPONSE_TOO_LARGE";
  constructor(url: string, limit: number) {
    super(`the answer from ${new URL(url).origin} is larger than ${limit} bytes`);
  }
}

const maxResponseBytes = 4 * 1024 * 1024;

/** One JSON-over-HTTPS request with an explicit CA. Rejects only when no HTTP answer came. */
export function requestJson<T = unknown>(url: string, init: JsonRequest = {}): Promise<JsonResponse<T>> {
  const timeoutMs = init.timeoutMs ?? 30_000;
  const headers: Record<string, string | number> = { Accept: "application/json", ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["Content-Type"] = "application/json";
  }
  if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
  const agent = init.agent ?? (init.ca === undefined ? undefined : new Agent({ ca: init.ca }));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxResponseBytes) req.destroy(new HttpResponseTooLargeError(url, maxResponseBytes));
        else chunks.push(c);
      });
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: flatHeaders(res.headers),
          body: parseJson<T>(Buffer.concat(chunks).toString("utf8")),
        }),
      );
    });
    req.on("timeout", () => req.destroy(new HttpTimeoutError(url, timeoutMs)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Node's codes for a server certificate that the given CA (or the default
 * store) does not vouch for. Waiting never fixes these, unlike a refused
 * connection. Codes from OpenSSL's X509_V_ERR_* as node reports them
 * (https://nodejs.org/api/tls.html#x509-certificate-error-codes).
 */
const trustErrorCodes = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The TLS code when `err` (or its cause) is a server certificate that is not trusted. */
export function tlsTrustFailure(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && trustErrorCodes.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function parseJson<T>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
