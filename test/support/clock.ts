import type { Clock } from "../../verify/acquire";

/**
 * A clock that runs with real time but skips every wait: `sleep(ms)` moves
 * it `ms` ahead at once. Give the same `now` to the local Entra ID (its
 * `now` option) and its propagation delays pass as verify waits, without
 * the test waiting. `slept` lists each wait asked for.
 */
export function skippingClock(random = () => 0.5): Clock & { slept: number[]; date: () => Date } {
  let offset = 0;
  const slept: number[] = [];
  const now = () => Date.now() + offset;
  return {
    now,
    date: () => new Date(now()),
    random,
    slept,
    sleep: async (ms: number) => {
      slept.push(ms);
      offset += ms;
    },
  };
}
