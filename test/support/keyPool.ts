import { inject } from "vitest";

/**
 * The run's RSA-2048 keys (made once by the globalSetup, see keysSetup.ts), split in parts that never meet: the
 * worker's shared certificate (certificates.ts) has the first, test certificates draw from the middle, and the
 * mocked `tls.PrivateKey` (program.ts) from the last `programKeyCount`. Each part is counted through for as long as
 * the worker lives (its files share modules), so one pool for all came round: a key pasted into a setting by one
 * test was the key the program "generated", and a test that the program keeps no pasted key failed now and then.
 * Outside a vitest run, no keys.
 */
export const programKeyCount = 3;

export function keyPool(user: "shared" | "certificates" | "program"): string[] {
  const pool = runKeys();
  if (pool.length < programKeyCount + 3) return [];
  if (user === "shared") return pool.slice(0, 1);
  return user === "program" ? pool.slice(-programKeyCount) : pool.slice(1, -programKeyCount);
}

function runKeys(): string[] {
  try {
    return inject("rsaKeys") ?? [];
  } catch {
    return [];
  }
}
