/**
 * Values an error message may quote. A secret reaches an error path through
 * a pasted value in the wrong field, so messages name the field and say
 * what is wrong, and quote the value only when its shape rules out a
 * secret: a GUID, a 40 or 64 hex digit thumbprint, or an https URL without
 * credentials or query. Everything else is described, never shown.
 */
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const thumbprint = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

export const isGuid = (value: string): boolean => guid.test(value);

export const isThumbprintHex = (value: string): boolean => thumbprint.test(value);

export function isSafeUrl(value: string): boolean {
  if (value.length > 300 || /\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" && !url.username && !url.password && !url.search && !url.hash;
}

/** The value, when it is safe to print. */
export const isSafeToQuote = (value: unknown): value is string =>
  typeof value === "string" && (isGuid(value) || isThumbprintHex(value) || isSafeUrl(value));

/** ` <value>` when it is safe to print, else "": for messages like `authority${quoted(v)} is not ...`. */
export const quoted = (value: unknown): string => (isSafeToQuote(value) ? ` ${value}` : "");
