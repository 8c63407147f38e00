import { randomInt } from "node:crypto";

// terraform-provider-random's defaults (internal/provider/resource_password.go, string.go): every class
// on, this special set, no minimums.
const classes = {
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  lower: "abcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
} as const;
const defaultSpecial = "!@#$%&*()-_=+[]{}<>:?";

/**
 * random:index/randomPassword:RandomPassword for the mock-monitor engine (rehearsal/engine.ts): crypto-random
 * text honouring length, classes and minimums. Typed structurally so that it outlives that engine's move;
 * the gRPC engine has its own (contract 4).
 */
export const legacyRandomPassword = {
  async create(inputs: Record<string, unknown>) {
    const length = Number(inputs.length);
    if (!Number.isInteger(length) || length < 1) throw new Error("random RandomPassword: length must be at least 1");
    const sets: [string, number][] = [
      [inputs.upper === false ? "" : classes.upper, Number(inputs.minUpper ?? 0)],
      [inputs.lower === false ? "" : classes.lower, Number(inputs.minLower ?? 0)],
      [inputs.numeric === false ? "" : classes.numeric, Number(inputs.minNumeric ?? 0)],
      [
        inputs.special === false ? "" : String(inputs.overrideSpecial ?? defaultSpecial),
        Number(inputs.minSpecial ?? 0),
      ],
    ];
    const all = sets.map(([chars]) => chars).join("");
    if (!all) throw new Error("random RandomPassword: every character class is off");
    const pick = (chars: string) => chars.charAt(randomInt(chars.length));
    const chars = sets.flatMap(([set, min]) => Array.from({ length: set ? min : 0 }, () => pick(set)));
    while (chars.length < length) chars.push(pick(all));
    // Shuffle so that the minimums are not always first (Fisher-Yates with a crypto source).
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j] ?? "", chars[i] ?? ""];
    }
    return { id: "none", outputs: { ...inputs, result: chars.join("") }, secretOutputs: ["result"] };
  },
};
