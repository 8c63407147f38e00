/** Exponential backoff with jitter, never shorter than what the server asked for. */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

export const defaultBackoff: Backoff = { baseMs: 1000, capMs: 30_000 };

/**
 * The steady poll for what replication fixes: one request a second, plus up
 * to a quarter second of jitter so that many pipelines polling together
 * spread out. Measured from the start of the previous request, so a request
 * never follows another by less than a second however long each takes.
 */
export const pollIntervalMs = 1000;
export const pollJitterMs = 250;

/**
 * The wait before attempt `attempt + 1` after a 429 or 5xx: base *
 * 2^(attempt-1), capped, with "equal jitter" (half fixed, half random), and
 * at least Retry-After: the server asked for room.
 */
export function backoffDelay(attempt: number, backoff: Backoff, retryAfterMs = 0, random = Math.random): number {
  const exponential = Math.min(backoff.capMs, backoff.baseMs * 2 ** (attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(Math.round(jittered), retryAfterMs);
}

/** The wait before the next poll, given when the previous request started. */
export function pollDelay(previousStart: number, now: number, random = Math.random): number {
  return Math.max(0, Math.round(previousStart + pollIntervalMs + random() * pollJitterMs - now));
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | undefined, now = Date.now()): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}
