/** A duration as progress lines and verdicts print it: `850 ms`, `2.5 s`, `21 s`. */
export const formatSeconds = (ms: number) =>
  ms < 1000 ? `${ms} ms` : `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;
