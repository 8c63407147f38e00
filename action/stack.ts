import { execFile } from "node:child_process";
import { InputError } from "../verify/errors";
import { maxInputBytes } from "../verify/files";

/**
 * A stack's outputs, secrets included, from the Pulumi CLI on PATH:
 * `pulumi stack output --json --show-secrets --stack <name>`, started
 * without a shell (the same on Linux, macOS and Windows, where libuv finds
 * pulumi.exe). The Automation API would do the same but brings the whole
 * Pulumi SDK into the bundle. Neither the stack name nor the CLI's stderr is
 * quoted in an error: a secret typed into the stack input has a name's shape.
 */
export function pulumiStackOutputs(stack: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--show-secrets", "--non-interactive", "--stack", stack],
      { cwd, env, maxBuffer: maxInputBytes, windowsHide: true, encoding: "utf8" },
      (err, stdout) => {
        if (!err) return resolve(stdout);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT")
          return reject(
            new InputError(
              "input stack needs the Pulumi CLI on PATH (pulumi/actions installs it), or give input outputs-file instead",
            ),
          );
        if (code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")
          return reject(new InputError("the stack's outputs are larger than 1 MiB: check the stack input"));
        const exit = typeof code === "number" ? ` (exit ${code})` : "";
        reject(
          new InputError(
            `pulumi stack output failed for the stack input${exit}: check the stack name, working-directory and the CLI's login (PULUMI_ACCESS_TOKEN)`,
          ),
        );
      },
    );
  });
}
