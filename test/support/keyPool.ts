import { inject } from "vitest";

/**
 * The run's RSA-2048 keys (made once by the globalSetup, see keysSetup.ts), split in two parts that never
 * meet: test certificates (certificates.ts) draw from the first, the mocked `tls.PrivateKey` (program.ts) from
 * the last `programKeyCount`. Both count on for as long as the worker lives (its files share modules), so a
 * shared pool came round: a key pasted into a setting by one test was the key the program "generated", and a
 * test that the program keeps no pasted key failed now and then. Outside a vitest run, no keys.
 */
export const programKeyCount = 3;

export function keyPool(user: "certificates" | "program"): string[] {
  const pool = runKeys();
  if (pool.length <= programKeyCount) return [];
  return user === "program" ? pool.slice(-programKeyCount) : pool.slice(0, -programKeyCount);
}

function runKeys(): string[] {
  try {
    return inject("rsaKeys") ?? [];
  } catch {
    return [];
  }
}
