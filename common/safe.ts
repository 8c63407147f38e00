/**
 * Values an error message may quote. A secret reaches an error path through
 * a pasted value in the wrong field, so messages name the field and say
 * what is wrong, and quote the value only when its shape rules out a
 * secret: a GUID, a 40 or 64 hex digit thumbprint, or an https URL without
 * credentials or query. Everything else is described, never shown.
 */
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const thumbprint = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** Whether a value is a GUID, in either case: the one pattern for every id this project checks. */
export const isGuid = (value: unknown): value is string => typeof value === "string" && guid.test(value);

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

/**
 * Whether a value given where a file path is expected may be printed. A
 * pasted PEM, stack outputs or a password land in such fields too, so only
 * a short, single-line value of path characters that looks like a path (it
 * holds a `/` or a `.`) is shown; a bare word may be a password and is not.
 */
export function isQuotablePath(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length <= 200 &&
    !value.includes("-----BEGIN") &&
    /^[A-Za-z0-9._/~+@:=,-]+$/.test(value) &&
    /[/.]/.test(value)
  );
}

/** ` <path>` when the path may be printed (see isQuotablePath), else "": for `--outputs${quotedPath(p)} is empty`. */
export const quotedPath = (value: unknown): string => (isQuotablePath(value) ? ` ${value}` : "");

/** Whether a text given for a path is more likely a file's content than its name. */
export const looksLikeContent = (value: string): boolean =>
  value.length > 1024 || /[\r\n]|-----BEGIN|^\s*[{[]/.test(value);

/** A flag name as typed, when it may be printed: `--` and a short lowercase name (anything else may be a secret). */
export const isQuotableFlag = (value: unknown): value is string =>
  typeof value === "string" && (/^--[a-z][a-z0-9-]{0,30}$/.test(value) || /^-[A-Za-z]$/.test(value));

/** A message on one line: whatever slipped in with line breaks is joined with spaces. */
// Stryker disable next-line Regex: equivalent, the \s* around the break already takes any further breaks.
export const oneLine = (message: string): string => message.replace(/\s*[\r\n]+\s*/g, " ");
