/**
 * Everything the rehearsal prints passes through here: its own lines,
 * verify's progress and report, and the engine's diagnostics. Known secrets
 * (the private key, the PFX and its password, the admin key) are replaced
 * wherever they appear, whole or in pieces; JWTs and PEM private-key blocks
 * are replaced by shape, whoever they belong to.
 */
export interface Redactor {
  /** Adds a secret value to replace from now on. */
  add(secret: unknown): void;
  (line: string): string;
}

const jwt = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const pemKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

// Stryker disable next-line MethodExpression: equivalent, PEM armour lines begin and end with five dashes.
const isArmour = (line: string) => line.startsWith("-----");

/** Pieces of a secret that may appear on their own: a PEM's body lines, a base64 text's 40-character windows. */
function pieces(secret: string): string[] {
  const out = new Set<string>([secret]);
  const lines = secret.split(/\r?\n/).filter((l) => l.length >= 16 && !isArmour(l));
  for (const l of lines) out.add(l);
  const body = lines.join("");
  // A base64 text printed re-wrapped still shares every 40-character window with the original.
  // Stryker disable next-line ConditionalExpression: equivalent, the loop adds no window to a body under 40 characters.
  if (body.length >= 40 && /^[A-Za-z0-9+/=]+$/.test(body))
    for (let i = 0; i + 40 <= body.length; i += 20) out.add(body.slice(i, i + 40));
  // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: equivalent, add() sorts all it knows.
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * A program can print a secret in pieces too short for any window above (a key body cut into 32-character lines,
 * one log call each). So every 24-character run of each secret, whitespace removed, is known as well, and a line
 * that still holds one after the replacements above is withheld whole.
 */
const runLength = 24;
// Stryker disable next-line Regex: equivalent, removing each whitespace character or each run of them is the same.
const compact = (text: string) => text.replace(/\s+/g, "");
const withheld = "[withheld: this line held part of a secret]";

export function redactor(): Redactor {
  // Stryker disable next-line ArrayDeclaration: equivalent for any text but the mutant's own placeholder.
  const known: string[] = [];
  const runs = new Set<string>();
  const redact = ((line: string) => {
    let out = line.replace(pemKey, "[redacted private key]").replace(jwt, "[redacted token]");
    for (const piece of known) if (out.includes(piece)) out = out.split(piece).join("[redacted]");
    const text = compact(out);
    for (let i = 0; i + runLength <= text.length; i++) if (runs.has(text.slice(i, i + runLength))) return withheld;
    return out;
  }) as Redactor;
  redact.add = (secret: unknown) => {
    if (typeof secret !== "string" || secret.length < 8) return;
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
  return redact;
}
