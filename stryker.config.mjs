// @ts-check
/**
 * Mutation testing of the checks where a silent bug is a security or correctness hole (`npm run mutation`):
 * StrykerJS changes one thing at a time in these files (a condition, an operator, a regex, a string) and runs the
 * tests that reach it; a change no test notices is a surviving mutant. The tests are vitest.mutation.config.mts's.
 * Equivalent mutants (a change that cannot alter behaviour) are marked where they are, each with its reason:
 * `// Stryker disable next-line <mutator>: <reason>` (the list: `git grep -n "Stryker disable"`); Stryker reports
 * them as ignored; those a comment cannot single out are listed in `equivalent` below. `npm run mutation --
 * verify/report.ts` runs one file; scripts/mutation.js holds each at 90 %.
 */
export const critical = [
  "verify/tokenChecks.ts",
  "verify/preflight.ts",
  "verify/report.ts",
  "entra/assertion.ts",
  "entra/token.ts",
  "entra/validate.ts",
  "components/validation.ts",
  "components/rotation.ts",
  "common/redact.ts",
  "rehearsal/engine/steps.ts",
  "common/safe.ts",
  "keyvault/token.ts",
  "keyvault/rbac.ts",
  "keyvault/sign.ts",
  "action/mask.ts",
  "entra/grant.ts",
  "entra/jws.ts",
  "verify/vaultPreflight.ts",
  "verify/keyVaultKeyId.ts",
];

/**
 * Critical files whose survivors are not all dealt with yet: their score is printed but does not fail the run
 * (scripts/mutation.js), so that a change to one does not fail CI for mutants it did not bring. Empty this list.
 */
export const notYetHeld = [];

/**
 * Equivalent mutants a `// Stryker disable next-line <mutator>` comment cannot single out: it would also hide the
 * other mutants of that kind on the line, which tests do kill. Each names its file, mutator, the code it changes
 * (as the report shows it) and the replacement, with the reason no test can tell them apart; scripts/mutation.js
 * counts them as ignored, and says when one no longer survives.
 */
export const equivalent = [
  {
    file: "entra/assertion.ts",
    mutator: "ConditionalExpression",
    original: 'typeof alg === "string"',
    replacement: "true",
    reason: "Set.has is false for anything but its strings, and the caller has refused an alg that is no string",
  },
  {
    file: "entra/assertion.ts",
    mutator: "StringLiteral",
    original: '"not a JWS"',
    replacement: '""',
    reason: "the catch below it replaces the error, message and all, with 50027",
  },
  {
    file: "entra/assertion.ts",
    mutator: "ConditionalExpression",
    original: "hit",
    replacement: "false",
    reason: "a cache miss parses the same certificate again, to the same thumbprints and key",
  },
  {
    file: "entra/assertion.ts",
    mutator: "ConditionalExpression",
    original: "parsed.size >= maxParsed",
    replacement: "true",
    reason: "the cache's bound changes its memory, not any answer",
  },
  {
    file: "entra/assertion.ts",
    mutator: "ConditionalExpression",
    original: "parsed.size >= maxParsed",
    replacement: "false",
    reason: "the cache's bound changes its memory, not any answer",
  },
  {
    file: "entra/assertion.ts",
    mutator: "EqualityOperator",
    original: "parsed.size >= maxParsed",
    replacement: "parsed.size > maxParsed",
    reason: "the cache's bound changes its memory, not any answer",
  },
  {
    file: "entra/assertion.ts",
    mutator: "EqualityOperator",
    original: "parsed.size >= maxParsed",
    replacement: "parsed.size < maxParsed",
    reason: "the cache's bound changes its memory, not any answer",
  },
  {
    file: "entra/assertion.ts",
    mutator: "ConditionalExpression",
    original: "nbf !== undefined",
    replacement: "true",
    reason: "with no nbf, now < undefined - 300 compares with NaN and is false, as the guard makes it",
  },
  {
    file: "entra/assertion.ts",
    mutator: "BlockStatement",
    original: "{\n    throw aadsts.malformedAssertion();\n  }",
    replacement: "{}",
    reason: "claims left undefined by a payload that is no JSON are refused as malformed on the next line",
  },
  {
    file: "entra/assertion.ts",
    mutator: "Regex",
    original: "/=+$/",
    replacement: "/=$/",
    reason: "base64url decoding stops at the first '=', so removing one or all of the trailing ones decodes the same",
  },
  {
    file: "keyvault/token.ts",
    mutator: "BooleanLiteral",
    original: "false",
    replacement: "true",
    reason: "keepAlive: whether the connection to the key set is kept changes no answer",
  },
  {
    file: "keyvault/token.ts",
    mutator: "ConditionalExpression",
    original: 'typeof aud !== "string"',
    replacement: "false",
    reason: "the audiences are strings, so includes() refuses anything else the same way, with the same message",
  },
  {
    file: "keyvault/token.ts",
    mutator: "ConditionalExpression",
    original: 'typeof payload.iss !== "string"',
    replacement: "false",
    reason: "the issuers are strings, so includes() refuses anything else the same way, with the same message",
  },
  {
    file: "keyvault/token.ts",
    mutator: "StringLiteral",
    original: '""',
    replacement: '"Stryker was here!"',
    reason: "with no Authorization header, no text matches and the next line refuses it the same way",
  },
  {
    file: "keyvault/token.ts",
    mutator: "ConditionalExpression",
    original: "!authorization",
    replacement: "false",
    reason: "Key Vault words a missing and a malformed token alike (AKV10000), and no header is no token",
  },
  {
    file: "keyvault/token.ts",
    mutator: "ConditionalExpression",
    original: "!token",
    replacement: "false",
    reason: "decoding no token throws, and is refused as malformed the same way",
  },
  {
    file: "keyvault/token.ts",
    mutator: "ConditionalExpression",
    original: 'code === "ERR_JWT_CLAIM_VALIDATION_FAILED"',
    replacement: "true",
    reason: "jose's only other error naming exp or nbf is ERR_JWT_EXPIRED, answered on the line before",
  },
  {
    file: "keyvault/sign.ts",
    mutator: "OptionalChaining",
    original: "key.asymmetricKeyDetails?.modulusLength",
    replacement: "key.asymmetricKeyDetails.modulusLength",
    reason: "node:crypto gives every RSA key its asymmetricKeyDetails",
  },
  {
    file: "keyvault/sign.ts",
    mutator: "EqualityOperator",
    original: "size < length",
    replacement: "size <= length",
    reason: "one more MGF1 block is cut off again by subarray(0, length)",
  },
  {
    file: "entra/validate.ts",
    mutator: "ArrayDeclaration",
    original: "[]",
    replacement: '["Stryker was here"]',
    reason: "checkApplicationFields's default extra properties: different only for a property named as the placeholder",
  },
  {
    file: "entra/validate.ts",
    mutator: "MethodExpression",
    original:
      "Object.entries({ displayName, identifierUris, appRoles, api, optionalClaims }).filter(([, v]) => v !== undefined)",
    replacement: "Object.entries({\n  displayName,\n  identifierUris,\n  appRoles,\n  api,\n  optionalClaims\n})",
    reason: "each field check skips an undefined value, so passing the undefined fields changes nothing",
  },
  {
    file: "entra/validate.ts",
    mutator: "ConditionalExpression",
    original: "v !== undefined",
    replacement: "true",
    reason: "each field check skips an undefined value, so passing the undefined fields changes nothing",
  },
  {
    file: "entra/validate.ts",
    mutator: "BlockStatement",
    original: "{\n    return false;\n  }",
    replacement: "{}",
    reason: "a catch that returns nothing returns undefined, which reads as false",
  },
  {
    file: "components/validation.ts",
    mutator: "BlockStatement",
    original: "{\n    return undefined;\n  }",
    replacement: "{}",
    reason: "parseKey's catch returns undefined, as a function that returns nothing does",
  },
  {
    file: "entra/validate.ts",
    mutator: "Regex",
    original: "/^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,7})?(Z|[+-]\\d\\d:\\d\\d)$/",
    replacement: "/^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,7})?(Z|[+-]\\d\\d:\\d\\d)/",
    reason: "Date.parse, checked next, refuses any text after a date and time the pattern's start matched",
  },
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "vitest.mutation.config.mts", related: true },
  coverageAnalysis: "perTest",
  mutate: critical,
  // Two workers on a two-core machine; STRYKER_CONCURRENCY overrides it.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // The machine is shared: a mutant's tests may take much longer than in the dry run without hanging.
  timeoutMS: 15_000,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  // The run fails below 90 % of all mutants; scripts/mutation.js then fails any single file below 90 %.
  thresholds: { high: 95, low: 90, break: 90 },
  ignorePatterns: [".rehearsal", "dist", "coverage", "reports", ".stryker-tmp"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
