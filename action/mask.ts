/**
 * The runner's masking, as workflow commands on stdout. `::add-mask::` takes
 * one line: a multi-line secret (a PEM) is registered line by line, so every
 * line of it, the base64 body lines included, is masked wherever it appears
 * later in the job (actions/toolkit packages/core/src/core.ts, setSecret;
 * actions/runner src/Runner.Worker/ActionCommandManager.cs, AddMaskCommandExtension).
 */
export function maskCommands(secret: string): string[] {
  return secretLines(secret).map((line) => `::add-mask::${escapeData(line)}`);
}

/** The lines of a secret worth masking: every non-empty line but a PEM's armour (`-----BEGIN …-----`), which is public. */
export function secretLines(secret: string): string[] {
  return [
    ...new Set(
      secret
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0 && !/^-----(BEGIN|END) [A-Z0-9 ]+-----$/.test(l)),
    ),
  ];
}

/** A command's data as the runner unescapes it (actions/toolkit packages/core/src/command.ts, escapeData). */
export const escapeData = (text: string): string =>
  text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");

/** The stack outputs that are secret in this project's program, and any other output holding a private key. */
export function secretOutputs(outputs: unknown): string[] {
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) return [];
  const named = new Set(["privateKeyPem", "certificatePfx", "pfxPassword"]);
  return Object.entries(outputs as Record<string, unknown>)
    .filter(([name, value]) => typeof value === "string" && (named.has(name) || /PRIVATE KEY/.test(value)))
    .map(([, value]) => value as string);
}
