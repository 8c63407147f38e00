/** Exponential backoff with jitter, never shorter than what the server asked for. */
export interface Backoff {
  baseMs: number;
  capMs: number;
}

export const defaultBackoff: Backoff = { baseMs: 1000, capMs: 30_000 };

/**
 * The wait before attempt `attempt + 1`: base * 2^(attempt-1), capped, with
 * "equal jitter" (half fixed, half random) so that many pipelines retrying
 * together spread out, and at least Retry-After.
 */
export function backoffDelay(attempt: number, backoff: Backoff, retryAfterMs = 0, random = Math.random): number {
  const exponential = Math.min(backoff.capMs, backoff.baseMs * 2 ** (attempt - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.max(Math.round(jittered), retryAfterMs);
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}
