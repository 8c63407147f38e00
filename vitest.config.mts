import { defineConfig } from "vitest/config";

// Held for the three rooms whose code runs in the test process.
const held = { lines: 90, branches: 85 };
// Coverage thresholds hold for the whole suite (`npm test`); a run of some files only (`npx vitest run --coverage
// test/entra`) reports coverage without failing on rooms it did not run.
const wholeSuite = process.argv.slice(2).every((arg) => arg.startsWith("-") || arg === "run");

const timeouts = { testTimeout: 60_000, hookTimeout: 60_000 };
// Three tiers. `npm test`: everything below, in-process or spawning a CLI, with coverage held. `npm run test:e2e`
// (E2E_TESTS=1): the files that start the Pulumi program through Pulumi's cmd/run, a second or more of CPU per start
// (loading @pulumi/pulumi, the providers' SDKs and TypeScript), many starts per file: the rehearsal end to end and
// the engine's runs of fixture programs. `npm run test:slow` (SLOW_TESTS=1): the packed package installed from the
// registry's cache, minutes. CI runs all three (.ci/run). Coverage is counted by `npm test` alone: the program under
// cmd/run is a child process either way, and components/, verify/ and entra/ are held by the in-process tests.
// The longest end-to-end files run first and alone in a fresh process: they start the CLI and the program in child
// processes while their own process serves the local Entra ID (and Key Vault).
const e2eFirst = ["test/rehearsal/rehearsal.test.ts", "test/rehearsal/keyVault.test.ts"];
const e2e = [
  "test/rehearsal/clients.test.ts",
  "test/rehearsal/example.test.ts",
  "test/rehearsal/upgrade.test.ts",
  "test/rehearsal/engine/fixtures.test.ts",
  "test/rehearsal/engine/state.test.ts",
  // A file of rehearsal runs is named for it: `<noun>.rehearsal.test.ts`.
  "test/**/*.rehearsal.test.ts",
  // verify's leak sweep through a hostile vault and the docs' vault client: the shipped CLI and the example started
  // against the local servers, about 20 s of processes together.
  "test/verify/vaultLeaks.test.ts",
  "test/examples/vaultClient.test.ts",
];
// Minutes, not seconds: packing the package and installing it (the Pulumi SDKs and providers) into a scratch program.
const slow = ["test/rehearsal/library.test.ts", "test/verify/pack.test.ts"];
const e2eOn = process.env.E2E_TESTS === "1";
const slowOn = process.env.SLOW_TESTS === "1";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds dist/ (tests that spawn a CLI run the compiled JavaScript) and makes the test RSA keys, once per run.
    globalSetup: ["test/support/globalSetup.ts"],
    // Groups of files. The longest end-to-end files get a process of their own each and run first (vitest queues a
    // project whose files are isolated ahead of one whose are not). Every other file shares its worker's module cache
    // (isolate: false), which saves loading the same imports, @pulumi/pulumi among them, once per file. What that
    // asks of them: the program tests reinstall the mock engine and reimport the program per run (importProgram in
    // test/support/program.ts), and hooks a helper needs per file are registered by the setup file, not at a
    // helper's top level, which runs once per worker. A tier that is off has no files in its projects.
    projects: [
      {
        test: {
          name: "isolated",
          include: [...(e2eOn ? e2eFirst : []), ...(slowOn ? slow : [])],
          pool: "forks",
          isolate: true,
          ...timeouts,
        },
      },
      {
        test: {
          name: "e2e",
          include: e2eOn ? e2e : [],
          pool: "forks",
          isolate: false,
          setupFiles: ["test/support/perFile.ts"],
          ...timeouts,
        },
      },
      {
        test: {
          name: "shared",
          include: ["test/**/*.test.ts"],
          exclude: [...e2eFirst, ...e2e, ...slow],
          pool: "forks",
          isolate: false,
          setupFiles: ["test/support/perFile.ts"],
          ...timeouts,
        },
      },
    ],
    // vitest's default on a 2-core machine is one worker; files are independent, so run two.
    maxWorkers: 2,
    // `npm test` reports coverage (vitest run --coverage). Only in-process runs count, so every CLI keeps its logic in
    // an in-process command and its executable is a one-line wrapper, left out here.
    coverage: {
      provider: "v8",
      include: ["index.ts", "components/**", "verify/**", "entra/**", "keyvault/**", "rehearsal/**", "common/**"],
      exclude: ["verify/main.ts", "entra/main.ts", "keyvault/main.ts", "rehearsal/main.ts"],
      reporter: ["text-summary", "text"],
      thresholds: wholeSuite ? { "components/**": held, "verify/**": held, "entra/**": held } : {},
    },
  },
});
