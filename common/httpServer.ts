import type { IncomingMessage, ServerResponse } from "node:http";
import { CodedError } from "./errors";

/** A body past its route's cap; the route answers it in its own error shape. */
export class BodyTooLargeError extends CodedError {
  static override readonly code = "ERR_BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
  }
}

/**
 * Reads a body of at most `limit` bytes. A body whose declared length is past
 * the limit is refused before it is read: reading it to the end would hold the
 * answer back, and past 16 times the limit the reader cuts the connection, so
 * the client would see a reset instead of its 400. Past the limit without a
 * declared length (chunked), the rest is read and dropped, so the client still
 * gets its 400; a sender that keeps going far past it is cut off.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  if (Number(req.headers["content-length"] ?? 0) > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * limit) {
      req.destroy();
      break;
    }
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw new BodyTooLargeError(limit);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
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

/** Logs an unexpected error by its type and where it came from; never its message, which may quote input. */
export function describeUnexpected(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const frame = err.stack?.split("\n").find((l) => l.trim().startsWith("at "));
  return `${err.name}${frame ? ` ${frame.trim()}` : ""}`;
}
