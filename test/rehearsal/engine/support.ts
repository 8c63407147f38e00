import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, vi } from "vitest";
import type { EngineEvent, EngineResult, EngineRun, StepEvent } from "../../../rehearsal/engine";
import { runEngine } from "../../../rehearsal/engine";
import { localProviders, type ProviderContext } from "../../../rehearsal/providers";

export const projectRoot = join(__dirname, "..", "..", "..");
export const deployer = {
  clientId: "11111111-1111-4111-8111-111111111111",
  objectId: "22222222-2222-4222-8222-222222222222",
};

/** A fresh temporary folder (tests remove it: it holds keys). */
export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `eca-engine-${prefix}-`));

/**
 * A small Pulumi project in a temp folder: Pulumi.yaml, package.json, the
 * project's tsconfig and node_modules (linked), and the given index.ts.
 */
export function fixtureProject(dir: string, program: string, name = "fixture"): string {
  const root = join(dir, "project");
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
  );
  writeFileSync(join(root, "package.json"), JSON.stringify({ name, main: "index.ts", private: true }));
  const tsconfig = JSON.parse(readFileSync(join(projectRoot, "tsconfig.json"), "utf8")) as { include: string[] };
  tsconfig.include = ["index.ts"];
  writeFileSync(join(root, "tsconfig.json"), JSON.stringify(tsconfig));
  symlinkSync(join(projectRoot, "node_modules"), join(root, "node_modules"), "dir");
  writeFileSync(join(root, "index.ts"), program);
  return root;
}

/**
 * Runs the file's programs as ts-node's transpile-only mode does (PULUMI_NODEJS_TRANSPILE_ONLY, read by the SDK's
 * cmd/run; launchProgram passes the environment on). A cold type-check of a program against @pulumi/pulumi's types
 * costs seconds per run; the tests that are about the type-check call `typeChecked()` to turn it back on.
 */
export function transpileOnlyByDefault(): void {
  beforeEach(() => {
    vi.stubEnv("PULUMI_NODEJS_TRANSPILE_ONLY", "true");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
}

/** Inside a test of a transpileOnlyByDefault file: this test's programs are type-checked, as on the CLI. */
export const typeChecked = (): void => {
  vi.stubEnv("PULUMI_NODEJS_TRANSPILE_ONLY", undefined);
};

/** What the providers reach for fixtures that touch no directory: any Graph call would fail to connect. */
const offline: ProviderContext = {
  entra: {
    authorityHost: "https://localhost:9",
    caPem: "",
    tenantId: "33333333-3333-4333-8333-333333333333",
    adminKey: "unused",
  },
  deployer,
};

/** The rehearsal's providers for such fixtures, handed to the engine as the rehearsal hands them, and their secrets. */
export const offlineProviders = (): Pick<EngineRun, "providers" | "secrets"> => ({
  providers: localProviders(offline),
  secrets: [offline.entra.adminKey],
});

export interface Ran extends EngineResult {
  events: EngineEvent[];
}

/** runEngine with events collected. */
export async function run(options: Omit<EngineRun, "onEvent"> & { onEvent?: EngineRun["onEvent"] }): Promise<Ran> {
  const events: EngineEvent[] = [];
  const result = await runEngine({
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { ...result, events };
}

/** Steps of custom resources as `op:name`, in order. */
export const opsOf = (
  steps: StepEvent[],
  custom = (s: StepEvent) =>
    !s.type.startsWith("pulumi:pulumi:") && !s.type.startsWith("entra-cert-auth:") && !s.type.startsWith("fixture:"),
) => steps.filter(custom).map((s) => `${s.op}:${s.name}`);
