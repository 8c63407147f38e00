import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { root } from "../support/processes";

const run = promisify(execFile);

describe("verify as a shipped tool", () => {
  it("answers --help and argument errors without loading msal-node, jose, Pulumi or the Azure SDKs", async () => {
    // The compiled edge, run as the executable runs it; then list what Node loaded.
    const script = `
      const { runCommand } = require("./dist/common/cli.js");
      const { verifyCommand } = require("./dist/verify/command.js");
      const io = { stdout: { write() {} }, stderr: { write() {} }, env: {}, stdin: [] };
      (async () => {
        const codes = [await runCommand(verifyCommand, ["--help"], io), await runCommand(verifyCommand, ["--colour", "--json"], io),
          await runCommand(verifyCommand, ["--timeout", "soon"], io),
          await runCommand(verifyCommand, ["--key-vault-key-id", "https://v.vault.azure.net/keys/k"], io)];
        const heavy = Object.keys(require.cache).filter((p) => /@azure[\\\\/](msal|keyvault|identity|core-)|[\\\\/]jose[\\\\/]|@pulumi|verify[\\\\/](run|acquire|tokenChecks|vault\\w*)\\.js/.test(p));
        console.log(JSON.stringify({ codes, heavy }));
      })();`;
    const { stdout } = await run(process.execPath, ["-e", script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ codes: [0, 2, 2, 2], heavy: [] });
  });
});
