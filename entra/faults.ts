/** A fault the token endpoint answers with instead of doing its work. */
export type Fault =
  | { kind: "throttle"; retryAfterSeconds: number }
  | { kind: "unavailable"; retryAfterSeconds?: number }
  | { kind: "hang" };

/** Faults queued for the next token requests, one request each, in order. */
export function faultQueue() {
  const queue: Fault[] = [];
  return {
    /** Makes the next `count` token requests fail with `fault`. */
    inject(fault: Fault, count = 1) {
      for (let i = 0; i < count; i++) queue.push(fault);
    },
    next: (): Fault | undefined => queue.shift(),
    clear: () => void queue.splice(0),
    get pending() {
      return queue.length;
    },
  };
}

export type FaultQueue = ReturnType<typeof faultQueue>;
