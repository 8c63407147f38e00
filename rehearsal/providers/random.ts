import { randomInt } from "node:crypto";
import { ProviderError, type ResourceProvider } from "../engine/provider";
import type { PlainMap } from "../engine/wire";
import { diffKeys } from "./diff";
import { bool, known, num, optStr, withDefaults } from "./fields";

const lower = "abcdefghijklmnopqrstuvwxyz";
const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const numeric = "0123456789";
/** terraform-provider-random's default special characters (internal/random/string.go). */
const defaultSpecial = "!@#$%&*()-_=+[]{}<>:?";

/**
 * The random provider's string algorithm: the minimum of each class first,
 * then any enabled character, then a shuffle; crypto.randomInt throughout.
 */
export function randomString(inputs: PlainMap): string {
  const what = "random RandomPassword";
  const length = num(inputs, "length", what);
  const classes: [boolean, string, number][] = [
    [bool(inputs, "upper", true), upper, num(inputs, "minUpper", what)],
    [bool(inputs, "lower", true), lower, num(inputs, "minLower", what)],
    [bool(inputs, "numeric", true), numeric, num(inputs, "minNumeric", what)],
    [
      bool(inputs, "special", true),
      optStr(inputs, "overrideSpecial") ?? defaultSpecial,
      num(inputs, "minSpecial", what),
    ],
  ];
  const chars: string[] = [];
  let all = "";
  for (const [enabled, set, min] of classes) {
    if (!enabled) continue;
    all += set;
    for (let i = 0; i < min; i++) chars.push(set.charAt(randomInt(set.length)));
  }
  if (all === "") throw new ProviderError(`${what}: every character class is disabled`);
  while (chars.length < length) chars.push(all.charAt(randomInt(all.length)));
  for (let i = chars.length - 1; i > 0; i--) {
    // Fisher-Yates: swap i with a random j <= i; both indices are inside `chars`.
    const j = randomInt(i + 1);
    const [a, b] = [chars[i], chars[j]];
    if (a !== undefined && b !== undefined) [chars[i], chars[j]] = [b, a];
  }
  return chars.join("");
}

/** random:index/randomPassword:RandomPassword: every input is ForceNew; `result` is sensitive. */
export const randomPassword: ResourceProvider = {
  secretOutputs: ["result", "bcryptHash"],
  check(news) {
    const checked = withDefaults(news, {
      upper: true,
      lower: true,
      numeric: true,
      special: true,
      minUpper: 0,
      minLower: 0,
      minNumeric: 0,
      minSpecial: 0,
    });
    const length = checked.length;
    if (known(length)) {
      if (typeof length !== "number" || !Number.isInteger(length) || length < 1)
        throw new ProviderError("random RandomPassword: length is required and must be an integer of at least 1");
      const mins = ["minUpper", "minLower", "minNumeric", "minSpecial"].map((k) => checked[k]);
      if (mins.every((m) => typeof m === "number") && mins.reduce<number>((a, m) => a + Number(m), 0) > length)
        throw new ProviderError("random RandomPassword: length must be at least the sum of the minimums");
    }
    return checked;
  },
  diff: (olds, _outputs, news) => diffKeys(olds, news, () => true),
  create: async (inputs) => ({ id: "none", outputs: { ...inputs, result: randomString(inputs) } }),
  delete: async () => undefined,
};
