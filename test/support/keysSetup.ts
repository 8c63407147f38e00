import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** RSA-2048 private keys (PKCS#8 PEM) made once per run, for test certificates (see certificates.ts). */
    rsaKeys: string[];
  }
}

const keyCount = 12;

/** The RSA keys the test certificates use, made in parallel once per run instead of by each file. */
export async function makeKeys(): Promise<string[]> {
  const pairs = await Promise.all(
    Array.from({ length: keyCount }, () =>
      promisify(generateKeyPair)("rsa", {
        modulusLength: 2048,
        privateKeyEncoding: { format: "pem", type: "pkcs8" },
        publicKeyEncoding: { format: "pem", type: "spki" },
      }),
    ),
  );
  return pairs.map((k) => k.privateKey);
}

/**
 * The global setup of the mutation run (vitest.mutation.config.mts): only the keys. Its tests run in this
 * process, so dist/ is not built (the mutated sources live in Stryker's sandbox; a build there is wasted).
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide("rsaKeys", await makeKeys());
}
