import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutation` runs against each mutant (stryker.config.mjs): the files that exercise the critical
 * checks in this process. A mutant lives in the code vitest imports, so a test that only spawns a CLI (dist/) cannot
 * kill it: the end-to-end rehearsal test and the CLI tests are left out. So are the program's deployments under
 * Pulumi's mocks (rotation, certificateApp, index.invalid: a second or more each; the program's checks have unit
 * tests in settings and rotationPlan) and verify's end-to-end files (run,
 * command, leaks): each restarts a local Entra ID for every mutant it runs against, and verify's checks have unit
 * tests of their own (tokenChecks, preflight, report). One project, no coverage, no dist/ build (keysSetup makes
 * only the test keys): Stryker runs the files related to the mutated file (vitest's `related`), and of those only
 * the tests that reached the mutant (coverageAnalysis perTest).
 */
export const mutationTests = [
  "test/action/mask.test.ts",
  "test/common/safe.test.ts",
  "test/common/cli.test.ts",
  "test/components/rotationPlan.test.ts",
  "test/components/settings.test.ts",
  "test/components/keyVaultSettings.test.ts",
  "test/entra/assertion.test.ts",
  "test/entra/hardening.test.ts",
  "test/entra/tokenEndpoint.test.ts",
  "test/entra/fidelity.test.ts",
  "test/entra/msal.test.ts",
  "test/entra/validate.test.ts",
  "test/entra/validateLimits.test.ts",
  "test/entra/token.test.ts",
  "test/entra/jws.test.ts",
  "test/common/redact.test.ts",
  "test/keyvault/token.test.ts",
  "test/keyvault/sign.test.ts",
  "test/rehearsal/engine/units.test.ts",
  "test/verify/tokenChecks.test.ts",
  "test/verify/report.test.ts",
  "test/verify/preflight.test.ts",
  "test/verify/keyvaultInputs.test.ts",
];

export default defineConfig({
  test: {
    include: mutationTests,
    globalSetup: ["test/support/keysSetup.ts"],
    setupFiles: ["test/support/perFile.ts"],
    // As in the suite's shared project: a file reuses the worker's modules, so a mutant's run does not load
    // @pulumi/pulumi or msal-node again. Stryker switches mutants at run time; a mutant in a module-level constant
    // is still killed (checked on common/redact.ts's regexes, the same result with and without isolation).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
