/** A plain JSON object (not null, not an array): the guard for parsed JSON before reading its fields. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
