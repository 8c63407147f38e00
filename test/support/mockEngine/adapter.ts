import type { Diff, PriorState, ResourceProvider } from "../../../rehearsal/engine/provider";
import { type PlainMap, toPlainMap } from "../../../rehearsal/engine/wire";

/*
 * The mock monitor hands resources over as plain records, secrets unwrapped (secrets.ts); the engine's providers
 * (rehearsal/engine/provider.ts) take the engine's values. Here one becomes the other, so the program tests run the
 * rehearsal's own providers (rehearsal/providers) rather than a second model of them.
 */

/** A record of the program's inputs, or of a provider's outputs, as the mock engine keeps it. */
export type Fields = Record<string, unknown>;

/** Plain data, as providers take it: JSON's values (the mock monitor's records are JSON, an absent key dropped). */
export const plainOf = (fields: Fields): PlainMap => JSON.parse(JSON.stringify(fields)) as PlainMap;

/** The provider's Check of the program's inputs: defaults and normalisation, or a ProviderError naming the field. */
export const checked = (provider: ResourceProvider, inputs: Fields): PlainMap =>
  toPlainMap(provider.check(plainOf(inputs)));

/** A resource of the previous deployment, as the provider's update and delete take it (inputs checked, as the engine's checkpoint keeps them). */
export const priorOf = (
  provider: ResourceProvider,
  entry: { id: string; inputs: Fields; outputs: Fields },
): PriorState => ({
  id: entry.id,
  inputs: checked(provider, entry.inputs),
  outputs: plainOf(entry.outputs),
});

/** The provider's Diff of the previous deployment's resource against the checked new inputs, with its ignoreChanges. */
export function diffOf(
  provider: ResourceProvider,
  prior: PriorState,
  news: PlainMap,
  ignoreChanges: readonly string[] = [],
): Diff {
  return provider.diff(prior.inputs, prior.outputs, news, ignoreChanges);
}
