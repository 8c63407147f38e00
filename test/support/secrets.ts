import { expect } from "vitest";

/**
 * Asserts that printed text holds no secret: no JWT (access token or client
 * assertion), no PEM private key, and no line of the given keys' bodies.
 * Booleans with a label, never the text: a failing string matcher prints
 * what it was given, which here is the very secret found.
 */
export function expectNoSecrets(text: string, privateKeys: string[] = []): void {
  expect(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text), "the text holds a JWT").toBe(false);
  expect(text.includes("PRIVATE KEY"), "the text holds a PEM private key").toBe(false);
  privateKeys.forEach((key, k) => {
    key
      .split("\n")
      .filter((l) => l.length > 20 && !l.startsWith("-----"))
      .forEach((line, i) => {
        expect(text.includes(line), `the text holds line ${i + 1} of private key ${k + 1}`).toBe(false);
      });
  });
}

/** Whether `text` holds `part`, as a boolean with a label: for texts that hold secrets, which must not be printed. */
export function expectHolds(text: string, part: string, label: string, holds = true): void {
  expect(text.includes(part), label).toBe(holds);
}
