import { randomUUID } from "node:crypto";

/**
 * Graph's error shape:
 * https://learn.microsoft.com/graph/errors#json-representation
 */
export const graphError = (code: string, message: string, now = new Date()) => ({
  error: {
    code,
    message,
    innerError: {
      date: now.toISOString().replace(/\.\d+Z$/, ""),
      "request-id": randomUUID(),
      "client-request-id": randomUUID(),
    },
  },
});

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The correlation id a client sent (MSAL sends `client-request-id` as a header
 * or in the query/body): echoed only if it is a GUID, as Entra ID's ids are,
 * so that no client text ever reaches a response header.
 */
export function correlationIdOf(...candidates: (string | string[] | null | undefined)[]): string {
  for (const c of candidates) if (typeof c === "string" && guidPattern.test(c)) return c.toLowerCase();
  return randomUUID();
}
