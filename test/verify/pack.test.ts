import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAndRemove } from "../support/cli";
import { registerClient, startEntra } from "../support/entra";
import { memoryTempDir } from "../support/memoryDir";
import { stackOutputsFor } from "../support/outputs";
import { root } from "../support/processes";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// A slow test (npm install from the registry's cache): `npm run test:slow` runs it, as CI does.
describe("verify as a shipped tool", () => {
  describe("npm pack, then npm install --omit=dev of the tarball in an empty folder", () => {
    let entra: Awaited<ReturnType<typeof startEntra>>;
    let dir: string;
    beforeAll(async () => {
      entra = await startEntra();
      dir = memoryTempDir("eca-pack-");
    });
    afterAll(async () => {
      await stopAndRemove(entra);
      rmSync(dir, { recursive: true, force: true });
    });

    it("gives a working `npx entra-cert-auth-verify --outputs …`", async () => {
      // dist/ is fresh (the globalSetup built it), so the pack skips `prepare`; a real `npm pack` runs it.
      await run(npm, ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], { cwd: root });
      const tarball = readdirSync(dir).find((f) => /^entra-cert-auth-.*\.tgz$/.test(f));
      expect(tarball).toBeDefined();
      const empty = mkdtempSync(join(dir, "app-"));
      await run(
        npm,
        ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tarball ?? "")],
        { cwd: empty },
      );

      const client = await registerClient(entra, { grant: ["Data.Read"] });
      writeFileSync(join(empty, "outputs.json"), JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"])));
      const { stdout } = await run(
        process.platform === "win32" ? "npx.cmd" : "npx",
        ["entra-cert-auth-verify", "--outputs", "outputs.json", "--ca-file", entra.caPath],
        { cwd: empty, env: { ...process.env, GITHUB_STEP_SUMMARY: "" } },
      );
      expect(stdout).toMatch(/^verified: a certificate-authenticated token for api:\/\/.+ with Data.Read/m);
      // No development dependency came along.
      const installed = readdirSync(join(empty, "node_modules"));
      for (const dev of ["tsx", "vitest", "@biomejs", "@vitest"]) expect(installed).not.toContain(dev);
    }, 300_000);
  });
});
