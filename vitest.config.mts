import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ (tests that spawn a CLI run the compiled JavaScript) and makes the test RSA keys, once per run.
    globalSetup: ["test/support/globalSetup.ts"],
    // Each file gets fresh modules, and with them fresh Pulumi runtime globals.
    pool: "forks",
    isolate: true,
    // vitest's default on a 2-core machine is one worker; files are independent, so run two.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
