import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { start } from "../../entra/server";
import type { EngineResult, EngineRun, StepEvent } from "../../rehearsal/engine";
import { RehearsalInputError } from "../../rehearsal/errors";
import { lockName, markerName } from "../../rehearsal/folder";
import { main } from "../../rehearsal/main";
import { closingTimings } from "../../rehearsal/rehearsal";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

/**
 * The orchestration around the engine, with a scripted engine in place of
 * the real one: what runs when, what stops what, what is printed. The real
 * engine's runs are in rehearsal.test.ts.
 */
const temp = fileTempDir("eca-orchestration-");
const template = join(temp, "template");

// The local Entra ID's CA and keys, made once for the file and copied into each folder.
beforeAll(async () => {
  const entra = await start({ state: join(template, "entra.json") });
  await entra.stop();
  writeFileSync(
    join(template, markerName),
    JSON.stringify({ madeBy: "entra-cert-auth rehearsal", wrote: ["ca.pem", "entra.json", "entra.json.keys.json"] }),
  );
});
let n = 0;
const seeded = () => {
  const dir = join(temp, `run${n++}`);
  cpSync(template, dir, { recursive: true });
  return dir;
};

const planned: StepEvent[] = [
  { op: "same", type: "tls:index/privateKey:PrivateKey", name: "client-key", urn: "urn:k", dryRun: true },
  { op: "create", type: "azuread:index/application:Application", name: "client-app", urn: "urn:a", dryRun: true },
];
const timings = { start: 1, load: 2, resources: 3, deletes: 0, total: 6 };

/** A scripted engine that records every run it is given. */
function scripted(script: {
  preview?: (run: EngineRun) => Promise<EngineResult>;
  update?: (run: EngineRun) => Promise<EngineResult>;
}) {
  const runs: EngineRun[] = [];
  const runEngine = async (run: EngineRun) => {
    runs.push(run);
    const step = run.dryRun ? script.preview : script.update;
    if (step) return step(run);
    for (const step of planned) run.onEvent({ kind: "step", step });
    run.onEvent({ kind: "timings", timings });
    return { outputs: {}, secretOutputNames: [], steps: planned, timings };
  };
  return { runs, runEngine };
}

async function rehearse(args: string[], engine: ReturnType<typeof scripted>, signal?: AbortSignal) {
  const io = capture();
  const code = await main(args, io, { cwd: root, runEngine: engine.runEngine, signal });
  return { code, ...io.text() };
}

describe("each run previews first, as `pulumi up` does", () => {
  it("stops before changing anything when the preview fails, exit 2, with the program's message", async () => {
    const dir = seeded();
    const engine = scripted({
      preview: async () => {
        throw new Error("index.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.");
      },
    });
    const { code, stderr } = await rehearse(["--dir", dir], engine);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "rehearsal: preview failed, nothing was changed: index.ts(3,7): error TS2322: Type 'number' is not assignable to type 'string'.",
    );
    expect(engine.runs.map((r) => r.dryRun)).toEqual([true]);
    expect(existsSync(join(dir, "outputs.json"))).toBe(false);
  });

  it("--preview prints the plan per resource, runs only the preview, and leaves the directory byte for byte", async () => {
    const dir = seeded();
    const directory = readFileSync(join(dir, "entra.json"));
    const engine = scripted({});
    const { code, stdout } = await rehearse(["--dir", dir, "--preview", "--propagation-delay", "4"], engine);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^rehearsal: local Entra ID at https:\/\/localhost:\d+, tenant [0-9a-f-]{36}, propagation delay 4 s$/m,
    );
    expect(stdout).toContain("rehearsal:   same    PrivateKey client-key\nrehearsal:   create  Application client-app");
    expect(stdout).toContain("rehearsal: preview: 1 to create, 1 unchanged; nothing was changed");
    expect(engine.runs.map((r) => r.dryRun)).toEqual([true]);
    expect(readFileSync(join(dir, "entra.json")).equals(directory)).toBe(true);
    // The engine's load phase (type-check included) is reported as a figure of its own, as a part of the preview.
    expect(stdout).toMatch(
      /^rehearsal: done in [\d.]+ s \(.*preview [\d.]+ s; the program's load and type-check took 0\.0 s of the preview\)$/m,
    );
  });

  it("hands the engine PULUMI_CONFIG as the CLI would, the local authority, and the same deployer every run", async () => {
    const dir = seeded();
    const stackFile = join(dir, "..", "Pulumi.dev.yaml");
    writeFileSync(stackFile, "config:\n  entra-cert-auth:roles:\n    - Data.Read\n");
    const engine = scripted({});
    await rehearse(["--dir", dir, "--preview", "--stack-config", stackFile, "--config", "keySize=3072"], engine);
    await rehearse(["--dir", dir, "--preview", "--stack-config", stackFile], engine);
    const [first, second] = engine.runs;
    expect(first?.stack).toBe("dev");
    expect(first?.organization).toBe("organization");
    expect(first?.stateDir).toBe(join(dir, "stacks", "dev"));
    expect(first?.config["entra-cert-auth:roles"]).toBe('["Data.Read"]');
    expect(first?.config["entra-cert-auth:keySize"]).toBe("3072");
    expect(first?.config["entra-cert-auth:authorityHost"]).toMatch(/^https:\/\/localhost:\d+$/);
    expect(second?.config["entra-cert-auth:keySize"]).toBe("2048");
    // The providers the rehearsal handed the engine answer getClientConfig with the deployer and its tenant.
    const clientConfig = (run: EngineRun | undefined) =>
      run?.providers.invokes["azuread:index/getClientConfig:getClientConfig"]?.({});
    const [before, after] = [await clientConfig(first), await clientConfig(second)];
    expect(after).toEqual(before);
    expect(before?.objectId).toMatch(/^[0-9a-f-]{36}$/);
    expect(before?.tenantId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("--config is kept with the stack, as `pulumi config set` keeps it", () => {
  it("a run that updated the stack passes its --config on to the next runs; a failed preview does not; --fresh forgets", async () => {
    const dir = seeded();
    const engine = scripted({});
    await rehearse(["--dir", dir, "--config", "rotation=2"], engine);
    const next = await rehearse(["--dir", dir, "--preview"], engine);
    expect(next.stdout).toContain(
      "rehearsal: config kept from earlier runs' --config and --rotate (as pulumi config set keeps it; --fresh forgets): rotation",
    );
    const failing = scripted({
      preview: async () => {
        throw new Error("no");
      },
    });
    await rehearse(["--dir", dir, "--config", "rotation=9"], failing);
    await rehearse(["--dir", dir, "--preview"], engine);
    await rehearse(["--dir", dir, "--fresh"], engine);
    const rotations = engine.runs.filter((r) => r.dryRun).map((r) => r.config["entra-cert-auth:rotation"]);
    expect(rotations).toEqual(["2", "2", "2", "1"]);
  });
});

describe("failures and interruptions", () => {
  it("a folder that `npm run entra` is serving is refused with exit 2, the engine never run, pointing at --dir", async () => {
    const dir = seeded();
    const serving = await start({ state: join(dir, "entra.json") });
    try {
      const engine = scripted({});
      const { code, stderr } = await rehearse(["--dir", dir], engine);
      expect(code).toBe(2);
      expect(stderr).toBe(
        `rehearsal: ${dir} is being served by a local Entra ID (npm run entra); stop it, or pass another --dir`,
      );
      expect(engine.runs).toEqual([]);
    } finally {
      await serving.stop();
    }
  });

  it("an update that fails is exit 7, after a preview that passed", async () => {
    const dir = seeded();
    const engine = scripted({
      update: async () => {
        throw new Error("azuread: Graph refused the application");
      },
    });
    const { code, stderr } = await rehearse(["--dir", dir], engine);
    expect(code).toBe(7);
    expect(stderr).toBe("rehearsal: update failed: azuread: Graph refused the application");
    expect(engine.runs.map((r) => r.dryRun)).toEqual([true, false]);
  });

  it("Ctrl-C aborts the engine through its signal: exit 130, the lock released, the next run allowed", async () => {
    const dir = seeded();
    const controller = new AbortController();
    const engine = scripted({
      update: (run) =>
        new Promise((_, reject) => {
          run.signal?.addEventListener("abort", () => reject(new Error("stopped between steps")));
          controller.abort();
        }),
    });
    const { code, stderr } = await rehearse(["--dir", dir], engine, controller.signal);
    expect(code).toBe(130);
    expect(stderr).toMatch(/^rehearsal: interrupted: the engine stopped between steps and kept a checkpoint/);
    expect(existsSync(join(dir, lockName))).toBe(false);
    expect((await rehearse(["--dir", dir, "--preview"], scripted({}))).code).toBe(0);
  });

  it("scrubs the engine's diagnostics of private keys and tokens", async () => {
    const dir = seeded();
    const engine = scripted({
      preview: async (run) => {
        run.onEvent({
          kind: "diagnostic",
          severity: "warning",
          message:
            "saw -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY----- and eyJhbGciOiJQUzI1NiJ9.eyJhdWQiOiJ4eXoifQ.c2ln",
        });
        return { outputs: {}, secretOutputNames: [], steps: [], timings };
      },
    });
    const { stdout } = await rehearse(["--dir", dir, "--preview"], engine);
    expect(stdout).toContain("rehearsal:   warning: saw [redacted private key] and [redacted token]");
    expect(/MIIEvQ|eyJhbGci/.test(stdout), "the output holds a key or a token").toBe(false);
  });
});

describe("arguments", () => {
  it.each([
    [["--bogus"], "rehearsal: unknown option --bogus; see --help"],
    [["--timeout", "0"], "rehearsal: --timeout must be a positive number of seconds, at most 86400"],
    [["--timeout", "1e12"], "rehearsal: --timeout must be a positive number of seconds, at most 86400"],
    [["--propagation-delay=-1"], "rehearsal: --propagation-delay must be a number of seconds from 0 to 3600"],
    [["--propagation-delay="], "rehearsal: --propagation-delay must be a number of seconds from 0 to 3600"],
    [["--propagation-delay", "0x10"], "rehearsal: --propagation-delay must be a number of seconds from 0 to 3600"],
    [["--preview", "--fresh"], "rehearsal: --preview changes nothing and --fresh deletes the stack: use one of them"],
    [
      ["--config", 'roles=["a"]'],
      "rehearsal: Stack 'rehearsal' with configuration key 'roles' must be of type 'array<string>'",
    ],
  ])("%j is refused with exit 2 before anything starts: %s", async (args, message) => {
    const engine = scripted({});
    const dir = join(temp, `never${n++}`);
    const { code, stderr } = await rehearse([...args, "--dir", dir], engine);
    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(engine.runs).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it("an undeclared key is passed on with a warning that names it, as the CLI passes it on silently", async () => {
    const engine = scripted({});
    const { code, stdout } = await rehearse(["--dir", seeded(), "--preview", "--config", "colour=blue"], engine);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^rehearsal: warning: colour is not declared in Pulumi.yaml; .*\(declared: displayName, /m);
    expect(engine.runs[0]?.config["entra-cert-auth:colour"]).toBe("blue");
  });

  it("the rehearsal's errors are typed: a string code, an exit code, and the class's name", () => {
    const err = new RehearsalInputError("x");
    expect([err.name, err.code, err.exitCode]).toEqual(["RehearsalInputError", "ERR_REHEARSAL_INPUT", 2]);
  });

  it("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await rehearse(["--help"], scripted({}));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm start -- /);
  });
});

describe("the closing line's figures", () => {
  it("names the program's load and type-check as a part of the program runs, after the phases one after another", () => {
    const ms = { "start local Entra ID": 200, preview: 1000, update: 1100, verify: 40 };
    expect(closingTimings({ ...ms, "program load and type-check": 700 })).toBe(
      "start local Entra ID 0.2 s, preview 1.0 s, update 1.1 s, verify 0.0 s; the program's load and type-check took 0.7 s of the preview and update",
    );
    const rotation = { ...ms, "rotate preview": 900, rotate: 1200, "program load and type-check": 1400 };
    expect(closingTimings(rotation)).toMatch(
      /rotate 1\.2 s; .* took 1\.4 s of the preview, update, rotate preview and rotate$/,
    );
    expect(closingTimings({ preview: 50 })).toBe("preview 0.1 s");
  });
});
