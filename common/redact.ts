/**
 * The one redaction every printer uses: verify's report and progress, the
 * rehearsal's engine diagnostics, and everything the rehearsal prints.
 * Secrets reach printed text through a library's message, a program's log
 * line or a pasted value, whole or in pieces, so each text is cleaned by
 * shape and by what is known:
 * - JWTs and PEM private-key blocks are replaced by shape, whoever they
 *   belong to (a block cut off before its END line too);
 * - each known secret is replaced whole, by each line of it (a PEM's body
 *   lines), and by 40-character windows of a base64 body, which a text
 *   printed re-wrapped still shares with the original;
 * - a text that still holds any 24-character run of a secret (whitespace
 *   removed, so across its line breaks too) is withheld whole.
 */
export interface Redactor {
  /** Adds a secret to replace from now on; anything but a string of 4 characters or more is ignored. */
  add(secret: unknown): void;
  (text: string): string;
}

export interface RedactorOptions {
  /**
   * What a known secret is replaced by; `[redacted]` by default. The rehearsal's engine says `[secret]`, as the
   * Pulumi CLI filters its diagnostics (pulumi/pulumi sdk/go/common/util/logging/log.go, CreateFilter).
   */
  placeholder?: string;
}

const jwt = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const pemKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** Shorter values are too common in ordinary text to replace without mangling it. */
const minSecret = 4;
/** A PEM's body lines are 64 characters; a shorter last line is still a piece worth replacing from 16 up. */
const minLine = 16;
const window = 40;
const runLength = 24;

// Stryker disable next-line MethodExpression: equivalent, PEM armour lines begin and end with five dashes.
const isArmour = (line: string) => line.startsWith("-----");
// Stryker disable next-line Regex: equivalent, removing each whitespace character or each run of them is the same.
const compact = (text: string) => text.replace(/\s+/g, "");
const withheld = "[withheld: this line held part of a secret]";

/** Pieces of a secret that may appear on their own: the whole, its lines, a base64 text's 40-character windows. */
function pieces(secret: string): string[] {
  const out = new Set<string>([secret]);
  // A PEM's armour is public: a certificate's BEGIN line must still print.
  const lines = secret
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= minLine && !isArmour(l));
  for (const l of lines) out.add(l);
  const body = lines.join("");
  // A base64 text printed re-wrapped still shares every 40-character window with the original.
  // Stryker disable next-line ConditionalExpression: equivalent, the loop adds no window to a body under 40 characters.
  if (body.length >= window && /^[A-Za-z0-9+/=]+$/.test(body))
    for (let i = 0; i + window <= body.length; i += window / 2) out.add(body.slice(i, i + window));
  return [...out];
}

/**
 * A redactor that knows `secrets` (more can be added). A program can print a secret in pieces too short for any
 * window (a key body cut into 32-character lines, one log call each), so every 24-character run of each secret,
 * whitespace removed, is known as well, and a text that still holds one after the replacements is withheld whole.
 */
// Stryker disable next-line ArrayDeclaration: equivalent for any text but the mutant's own placeholder.
export function redactor(secrets: Iterable<unknown> = [], options: RedactorOptions = {}): Redactor {
  const placeholder = options.placeholder ?? "[redacted]";
  // Longest first: a shorter secret inside a longer one, replaced first, would break the longer match apart.
  // Stryker disable next-line ArrayDeclaration: equivalent for any text but the mutant's own placeholder.
  const known: string[] = [];
  const runs = new Set<string>();
  const clean = ((text: string) => {
    let out = text.replace(pemKey, "[redacted private key]").replace(jwt, "[redacted token]");
    for (const piece of known) if (out.includes(piece)) out = out.split(piece).join(placeholder);
    const rest = compact(out);
    for (let i = 0; i + runLength <= rest.length; i++) if (runs.has(rest.slice(i, i + runLength))) return withheld;
    return out;
  }) as Redactor;
  clean.add = (secret: unknown) => {
    if (typeof secret !== "string" || secret.length < minSecret) return;
    // Stryker disable next-line ConditionalExpression: equivalent, a duplicate piece finds nothing left to replace.
    for (const piece of pieces(secret)) if (!known.includes(piece)) known.push(piece);
    known.sort((a, b) => b.length - a.length);
    const body = compact(
      secret
        .split(/\r?\n/)
        .filter((l) => !isArmour(l))
        .join(""),
    );
    // Stryker disable next-line ArithmeticOperator: equivalent, the extra slices are shorter than a run and never match.
    for (let i = 0; i + runLength <= body.length; i++) runs.add(body.slice(i, i + runLength));
  };
  for (const secret of secrets) clean.add(secret);
  return clean;
}

/** `text` with every secret in `secrets` redacted (see redactor): for a one-off text. */
export const redact = (text: string, secrets: Iterable<unknown>): string => redactor(secrets)(text);

/**
 * A redactor fed from `secrets` before each text, for a run whose secrets grow as it goes (the engine learns
 * them from each resource it registers).
 */
export function liveRedactor(
  secrets: () => Iterable<unknown>,
  options: RedactorOptions = {},
): (text: string) => string {
  // Stryker disable next-line ArrayDeclaration: equivalent for any text but the mutant's own placeholder.
  const clean = redactor([], options);
  const seen = new Set<unknown>();
  return (text) => {
    for (const secret of secrets()) {
      // Stryker disable next-line ConditionalExpression: equivalent, a secret added again adds nothing it did not know.
      if (seen.has(secret)) continue;
      seen.add(secret);
      clean.add(secret);
    }
    return clean(text);
  };
}
