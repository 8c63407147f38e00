import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { quotedPath } from "../common/safe";
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
    throw stackFailure(stackName, workDir, err);
  }
}

/**
 * Why a stack's outputs cannot be read, in one line. The stack name is never
 * quoted (a password typed after --stack has a stack name's shape), nor is
 * it or the folder left in the CLI's own line, which names both.
 */
export function stackFailure(stackName: string, workDir: string, err: unknown): InputError {
  const message = err instanceof Error ? err.message : "";
  // The Automation API's CommandError lists "code:", "stdout:", "stderr:" and "err?:" lines; keep the cause alone.
  const found = message.split("\n").find((l) => /error|not found|no stack/i.test(l));
  const line = found?.replace(/^\s*(err\?|stderr):\s*/, "") ?? "the pulumi CLI failed";
  const why = [stackName, workDir]
    .filter((s) => s.length > 0)
    .reduce((text, s) => text.split(s).join("…"), line)
    .trim()
    .slice(0, 200);
  return new InputError(
    `cannot read the outputs of the stack given by --stack${workDir ? ` in${quotedPath(workDir) || " the --cwd folder"}` : ""}: ${why}; is the Pulumi CLI installed and logged in?`,
  );
}
