/**
 * Replaces every known secret in a message with `[secret]`, as the CLI
 * filters diagnostics. Multi-line secrets (PEM keys) are also removed line
 * by line, since a message may quote only part of one.
 */
export function scrubber(secrets: () => Iterable<string>): (message: string) => string {
  return (message) => {
    const needles = new Set<string>();
    for (const s of secrets()) {
      if (s.length >= 4) needles.add(s);
      for (const line of s.split(/\r?\n/)) if (line.trim().length >= 16) needles.add(line.trim());
    }
    let out = message;
    for (const n of [...needles].sort((a, b) => b.length - a.length)) out = out.split(n).join("[secret]");
    return out;
  };
}
