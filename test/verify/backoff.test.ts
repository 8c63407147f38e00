import { describe, expect, it } from "vitest";
import { backoffDelay, pollDelay, pollIntervalMs, pollJitterMs, retryAfterMs } from "../../verify/backoff";

describe("waiting between token requests", () => {
  it("polls for replication one second after the previous request started, plus up to 250 ms of jitter", () => {
    expect(pollDelay(10_000, 10_040, () => 0)).toBe(960);
    expect(pollDelay(10_000, 10_040, () => 1)).toBe(960 + pollJitterMs);
    // A request that took longer than the interval is followed at once, never sooner than a second after it began.
    expect(pollDelay(10_000, 11_500, () => 0.5)).toBe(0);
    expect(pollIntervalMs).toBe(1000);
  });

  it("backs off exponentially with equal jitter, capped", () => {
    const b = { baseMs: 1000, capMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, 0, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b, 0, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it("never waits less than Retry-After", () => {
    expect(backoffDelay(1, { baseMs: 100, capMs: 1000 }, 7000, () => 0)).toBe(7000);
  });

  it("reads Retry-After as delta-seconds or as an HTTP date, and ignores what it cannot read", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(retryAfterMs("-4", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBe(0);
  });
});
