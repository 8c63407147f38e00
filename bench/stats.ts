/** The middle figure of a run (upper middle for an even count); NaN when nothing was measured. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
