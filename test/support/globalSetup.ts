import { execFileSync } from "node:child_process";
import { generateKeyPair } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** RSA-2048 private keys (PKCS#8 PEM) made once per run, for test certificates (see certificates.ts). */
    rsaKeys: string[];
  }
}

const keyCount = 12;

/**
 * Once per `vitest run`, before any test file: compile to dist/, so tests
 * that spawn a CLI run the JavaScript that `npm run verify`, `npm run entra`
 * and `npm start` run (tsc build mode: about 0.2 s when nothing changed),
 * and make the RSA keys the test certificates use, in parallel, instead of
 * each file generating its own synchronously.
 */
export default async function setup(project: TestProject): Promise<void> {
  const root = join(__dirname, "..", "..");
  const keys = Promise.all(
    Array.from({ length: keyCount }, () =>
      promisify(generateKeyPair)("rsa", {
        modulusLength: 2048,
        privateKeyEncoding: { format: "pem", type: "pkcs8" },
        publicKeyEncoding: { format: "pem", type: "spki" },
      }),
    ),
  );
  execFileSync(process.execPath, [join(root, "scripts", "build.js")], {
    cwd: root,
    stdio: "inherit",
  });
  project.provide(
    "rsaKeys",
    (await keys).map((k) => k.privateKey),
  );
}
