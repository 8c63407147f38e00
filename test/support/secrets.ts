import { expect } from "vitest";

/**
 * Asserts that printed text holds no secret: no JWT (access token or client
 * assertion), no PEM private key, and no line of the given keys' bodies.
 */
export function expectNoSecrets(text: string, privateKeys: string[] = []): void {
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  expect(text).not.toContain("PRIVATE KEY");
  for (const key of privateKeys) {
    for (const line of key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")))
      expect(text).not.toContain(line);
  }
}
