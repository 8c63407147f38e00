import { Secret, type ValueMap } from "../engine/wire";
import type { ReadProvider } from "./provider";
import { ProviderError } from "./provider";

/** A stack's last saved outputs, secrets still wrapped; undefined when the stack is not this engine's. */
export type StackOutputs = (name: string) => ValueMap | undefined;

/**
 * pulumi:pulumi:StackReference, read as the engine does it
 * (pkg/resource/deploy/builtins.go): input `name`, outputs `name`,
 * `outputs` and `secretOutputNames` (contract 4).
 */
export function stackReference(outputsOf: StackOutputs): ReadProvider {
  return {
    async read(id, inputs) {
      const name = typeof inputs.name === "string" ? inputs.name : id;
      const outputs = outputsOf(name);
      if (!outputs)
        throw new ProviderError(
          `StackReference: unknown stack; only this stack's own name (organization/project/stack) is known here`,
        );
      const secretOutputNames = Object.entries(outputs)
        .filter(([, v]) => v instanceof Secret)
        .map(([k]) => k);
      return { id: name, outputs: { name, outputs, secretOutputNames } };
    },
  };
}
