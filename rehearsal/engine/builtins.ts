import { ProviderError, type ReadProvider } from "./provider";
import { Secret, type ValueMap } from "./wire";

/*
 * The engine's own provider, for the `pulumi` package, as pulumi/pulumi pkg/resource/deploy/builtins.go has it
 * (builtinProvider): StackReference is read by the engine from its backend's stacks, never by a provider that
 * the engine is handed.
 */

/** A stack a reference names: its project when the name gives one (else the current project), and its name. */
export interface StackName {
  project?: string;
  stack: string;
}

/** A stack's last saved outputs, secrets still wrapped; undefined when the stack is not this engine's. */
export type StackOutputs = (name: StackName) => ValueMap | undefined;

/**
 * A stack reference's name as the DIY backend's project layout reads it (pulumi/pulumi
 * pkg/backend/diy/store.go, projectReferenceStore.ParseReference): `<stack>`, `<org>/<stack>` or
 * `<org>/<project>/<stack>`, where the organization must be `organization`. So `<project>/<stack>` is
 * refused (its first part is taken for an organization), as it is on the real backend; Pulumi Cloud would
 * read it as `<org>/<stack>` (pkg/backend/httpstate/backend.go, parseStackName). Stack names are those
 * tokens.ParseStackName accepts (sdk/go/common/tokens/stack_name.go): letters, digits, `-`, `_`, `.`, at
 * most 100 characters. Messages are the backend's own and never repeat the name.
 */
export function parseStackName(name: string): StackName {
  if (name === "") throw new ProviderError("StackReference: stack name must not be empty");
  const parts = name.split("/");
  if (parts.length > 3) throw new ProviderError("StackReference: could not parse the stack reference");
  const [org, project, stack] =
    parts.length === 3
      ? parts
      : parts.length === 2
        ? [parts[0], undefined, parts[1]]
        : [undefined, undefined, parts[0]];
  if (org !== undefined && org !== "organization")
    throw new ProviderError(
      "StackReference: organization name must be 'organization' (a DIY backend; name the stack organization/<project>/<stack>)",
    );
  if (project !== undefined && (project === "" || project.length > 100))
    throw new ProviderError("StackReference: the project name must be 1 to 100 characters");
  if (stack === undefined || !/^[A-Za-z0-9_.-]{1,100}$/.test(stack))
    throw new ProviderError(
      "StackReference: stack names may only contain alphanumerics, hyphens, underscores, or periods, at most 100",
    );
  return project === undefined ? { stack } : { project, stack };
}

/**
 * pulumi:pulumi:StackReference, read as builtins.go's Read does (readStackReference): input `name`, outputs `name`,
 * `outputs` and `secretOutputNames`, from the named stack's last saved outputs (its backend client's GetStackOutputs).
 */
export function stackReference(outputsOf: StackOutputs): ReadProvider {
  return {
    async read(id, inputs) {
      const name = typeof inputs.name === "string" ? inputs.name : id;
      const outputs = outputsOf(parseStackName(name));
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

/** The builtin reads, by type token: added to the providers the engine is handed, and taking precedence over them. */
export const builtinReads = (outputsOf: StackOutputs): Record<string, ReadProvider> => ({
  "pulumi:pulumi:StackReference": stackReference(outputsOf),
});
