import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { InputError } from "./errors";

/**
 * A stack's outputs through Pulumi's Automation API, which drives the
 * `pulumi` CLI on PATH. Returns plain values, secrets included, as
 * `pulumi stack output --json --show-secrets` would.
 */
export async function stackOutputs(stackName: string, workDir: string): Promise<Record<string, unknown>> {
  try {
    const stack = await LocalWorkspace.selectStack({ stackName, workDir });
    const outputs = await stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([name, { value }]) => [name, value]));
  } catch (err) {
    const why =
      (err as Error).message.split("\n").find((line) => /error|not found|no stack/i.test(line)) ??
      "the pulumi CLI failed";
    throw new InputError(
      `cannot read outputs of stack ${stackName} in ${workDir}: ${why.trim().slice(0, 200)}; is the Pulumi CLI installed and logged in?`,
    );
  }
}
