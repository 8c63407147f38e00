import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { LocalEntra } from "../../../entra/server";
import type { EngineRun } from "../../../rehearsal/engine";
import { startEntra } from "../../support/entra";
import { deployer, projectRoot, tempDir } from "./support";

/**
 * The project's own index.ts against a local Entra ID started in this test file's process (its PKI made once per
 * file), one fresh stack per call of `stack`. Registers the file's hooks; call once at the top of a test file.
 */
export function projectOnLocalEntra() {
  let entra: LocalEntra & { statePath: string };
  const dirs: string[] = [];
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(async () => {
    await entra.stop();
    rmSync(join(entra.statePath, ".."), { recursive: true, force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function stack(config: Record<string, string> = {}): Omit<EngineRun, "onEvent" | "dryRun"> {
    const stateDir = tempDir("state");
    dirs.push(stateDir);
    return {
      root: projectRoot,
      project: "entra-cert-auth",
      stack: "dev",
      organization: "organization",
      config: { "entra-cert-auth:authorityHost": entra.authorityHost, ...config },
      secretKeys: [],
      stateDir,
      providers: {
        entra: {
          authorityHost: entra.authorityHost,
          caPem: entra.caPem,
          tenantId: entra.tenantId,
          adminKey: entra.adminKey,
        },
        deployer,
      },
    };
  }

  const appsNamed = (name: string) => entra.admin.state.applications.filter((a) => a.displayName === name);
  return { stack, appsNamed };
}
