import { randomUUID } from "node:crypto";
import { isGuid } from "../common/safe";

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

/**
 * The correlation id a client sent (MSAL sends `client-request-id` as a header
 * or in the query/body): echoed only if it is a GUID, as Entra ID's ids are,
 * so that no client text ever reaches a response header.
 */
export function correlationIdOf(...candidates: (string | string[] | null | undefined)[]): string {
  for (const c of candidates) if (isGuid(c)) return c.toLowerCase();
  return randomUUID();
}
