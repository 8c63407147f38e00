/** A fault the token endpoint answers with instead of doing its work. */
export type Fault =
  | { kind: "throttle"; retryAfterSeconds: number }
  | { kind: "unavailable"; retryAfterSeconds?: number }
  | { kind: "hang" };

/** At most this many faults wait at once: a queue is a count, never a memory hazard. */
export const maxQueuedFaults = 1000;

/** Faults queued for the next token requests, one request each, in order. */
export function faultQueue() {
  const queue: { fault: Fault; remaining: number }[] = [];
  const queued = () => queue.reduce((n, q) => n + q.remaining, 0);
  return {
    /** Makes the next `count` token requests fail with `fault`; false (nothing queued) past the limit. */
    inject(fault: Fault, count = 1): boolean {
      if (queued() + count > maxQueuedFaults) return false;
      queue.push({ fault, remaining: count });
      return true;
    },
    next(): Fault | undefined {
      const head = queue[0];
      if (!head) return undefined;
      if (--head.remaining === 0) queue.shift();
      return head.fault;
    },
    clear: () => void queue.splice(0),
    /** Faults still waiting for a request: 0 once the last one injected has been served (a hang: is hanging). */
    pending: queued,
  };
}

export type FaultQueue = ReturnType<typeof faultQueue>;
