import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

/**
 * A folder deployed without Key Vault, then `npm start -- --key-vault` on it: setting keyVaultId is a rotation, so
 * the earlier generation stays attached, and its client files stay with it. The run's closing lines say so.
 */
const temp = fileTempDir("eca-rehearsal-kv-switch-");
let dir: string;
let run: { code: number; stdout: string; stderr: string };

describe("npm start, then npm start -- --key-vault on the same folder", () => {
  beforeAll(async () => {
    dir = join(temp, "switch");
    const first = capture();
    expect(await main(["--dir", dir, "--timeout", "60"], first, { cwd: root })).toBe(0);
    const io = capture();
    const code = await main(["--dir", dir, "--key-vault", "--timeout", "60"], io, { cwd: root });
    run = { code, ...io.text() };
    // Two program starts each, and the local services: about 15 s on an idle machine.
  }, 300_000);

  it("keeps the earlier certificate attached beside the vault's, and verifies with the vault's key", () => {
    expect(run.code, run.stderr).toBe(0);
    const outputs = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8"));
    expect(outputs.privateKeyPem).toBeUndefined();
    expect(outputs.attachedCertificates).toHaveLength(2);
    expect(run.stdout).toMatch(/^rehearsal: verified: .*, its assertion signed by Key Vault \(/m);
  });

  it("says the client files left from before Key Vault mode hold that generation's key, rather than that the folder holds none", () => {
    const left = run.stdout.split("\n").find((l) => l.startsWith(`rehearsal: left in ${dir}:`)) ?? "";
    expect(left).toContain(
      "client.pem, client.pfx and client.env are from a run before Key Vault mode and hold that generation's key, attached until the next rotation",
    );
  });

  it("says, once a rotation dropped that generation (--key-vault --rotate), that the client files' key is no longer attached", async () => {
    // A folder of its own: switched and rotated in one run, so the generation before Key Vault mode goes at once.
    const rotated = join(temp, "switch-and-rotate");
    expect(await main(["--dir", rotated, "--timeout", "60"], capture(), { cwd: root })).toBe(0);
    const io = capture();
    const code = await main(["--dir", rotated, "--key-vault", "--rotate", "--timeout", "60"], io, { cwd: root });
    const { stdout, stderr } = io.text();
    expect(code, stderr).toBe(0);
    const left = stdout.split("\n").find((l) => l.startsWith(`rehearsal: left in ${rotated}:`)) ?? "";
    expect(left).toContain(
      "client.pem, client.pfx and client.env are from a run before Key Vault mode and hold a key no longer attached (a rotation since dropped it)",
    );
  }, 300_000);

  it("prints the verify command to run again with one space between its flags", () => {
    const command = run.stdout.split("\n").find((l) => l.includes("npm run verify -- --outputs")) ?? "";
    expect(command).toMatch(/--outputs \S+outputs\.json --authority-host https:\/\/localhost:\d+ --ca-file /);
  });
});
