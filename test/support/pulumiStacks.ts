/**
 * @pulumi/pulumi takes a stack trace for every promise it makes (runtime/debuggable.js, debuggablePromise: `new
 * Error().stack`) and for every resource (resource.js, Resource.callsites). Node formats a stack through
 * Error.prepareStackTrace, which in a vitest worker is the source-map interceptor of vite's module runner: it looks
 * every frame up in the module graph, maps it and formats it: in the program tests under the mock engine, a fifth of
 * the CPU. Pulumi reads these stacks only for its promise-leak report (printed at a CLI program's exit) and for a
 * resource's source position, sent to the engine, which the mock engine does not read. So a stack taken by Pulumi
 * (a bare `new Error()` whose top frame is in @pulumi/pulumi) is given no frames, as a resource whose position is
 * unknown is registered. Every other stack, a failed assertion's and an error Pulumi throws among them, is mapped as
 * before.
 */
const wrapped = Symbol.for("entra-cert-auth.pulumiStacks");

type Prepare = (error: Error, frames: NodeJS.CallSite[]) => unknown;

export function framelessPulumiStacks(): void {
  const mapped = Error.prepareStackTrace as (Prepare & { [wrapped]?: true }) | undefined;
  if (!mapped || mapped[wrapped]) return;
  const prepare: Prepare & { [wrapped]?: true } = (error, frames) => {
    const top = frames[0]?.getFileName() ?? "";
    if (error.message === "" && /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]/.test(top)) return error.name;
    return mapped(error, frames);
  };
  prepare[wrapped] = true;
  Error.prepareStackTrace = prepare;
}
