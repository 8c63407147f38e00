import { createPrivateKey, generateKeyPair, type KeyObject } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { directoryAdmin } from "../../entra/admin";
import { openStore } from "../../entra/store";
import { providersOver } from "../../rehearsal/providers";
import { privateKeyProvider } from "../../rehearsal/providers/tls";
import { keyPool, programKeyCount } from "./keyPool";
import { LocalEngine, type Registered, type StateEntry, type Step } from "./mockEngine/engine";
import { inProcessAuthority, inProcessGraph } from "./mockEngine/graph";
import { type MockVaults, newVaults, vaultCertificate } from "./mockEngine/keyvault";
import { track } from "./tempFolders";

export const project = "entra-cert-auth";
export const stack = "test";

export interface EngineOptions {
  config?: Record<string, unknown>;
  /** The checkpoint of the previous deployment. */
  previous?: StateEntry[];
  /** The stack outputs of the previous deployment, which the program's StackReference to itself reads. */
  outputs?: Record<string, unknown>;
  admin?: ReturnType<typeof newDirectory>;
  onStep?: (s: Step) => void;
  /** Resource types to leave without a handler, so that registering one fails. */
  omit?: string[];
  /** The Key Vaults, kept across deployments like the directory. */
  vaults?: MockVaults;
  /** Outputs of the previous deployment that the backend holds as secrets (default: the program's secret outputs). */
  secretOutputs?: string[];
  /** The providers' clock (tls makes certificates from it and renews by it); the program keeps the real one. */
  now?: () => Date;
}

/**
 * The local engine running the rehearsal's own providers (rehearsal/providers) against an in-process local Entra ID,
 * installed as Pulumi's monitor. Call before importing the program. RSA keys come from the run's pool (see nextKey),
 * and Key Vault certificates from in-memory vaults (mockEngine/keyvault.ts).
 */
export function installEngine(options: EngineOptions = {}) {
  const admin = options.admin ?? newDirectory();
  const deployer = {
    clientId: "11111111-1111-4111-8111-111111111111",
    objectId: "22222222-2222-4222-8222-222222222222",
  };
  const vaults = options.vaults ?? newVaults();
  const providers = providersOver(
    inProcessGraph(admin),
    { entra: { authorityHost: inProcessAuthority, tenantId: admin.tenantId }, deployer },
    options.now,
  );
  providers.resources[types.privateKey] = privateKeyProvider(nextKey);
  providers.resources[types.vaultCertificate] = vaultCertificate(vaults, nextKey);
  for (const type of options.omit ?? []) delete providers.resources[type];
  const engine = new LocalEngine(
    providers,
    options.previous ?? [],
    options.onStep,
    options.outputs ?? {},
    options.secretOutputs,
  ).install(project, stack);
  setConfig(options.config ?? {});
  current = engine;
  return { engine, admin, deployer, vaults };
}

/** The engine installed last: the one whose failures promiseOf reports. */
let current: LocalEngine | undefined;

export const newDirectory = () => {
  const dir = track(mkdtempSync(join(tmpdir(), "eca-program-")));
  return directoryAdmin(openStore(join(dir, "entra.json")));
};

/**
 * Stack config as `pulumi config set` would store it: strings, lists as JSON. A key with a namespace
 * (`azure:subscriptionId`) is a provider's and kept as it is; the others are the project's.
 */
export function setConfig(config: Record<string, unknown>): void {
  const values = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [
      k.includes(":") ? k : `${project}:${k}`,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
  pulumi.runtime.setAllConfig(values, [`${project}:privateKeyPem`, `${project}:pfxPassword`]);
}

type Settled<T> = { value: T } | { error: unknown };

/**
 * The value of an Output, or its failure at once: `apply` alone never runs when a resource behind the
 * Output failed, which would leave a test waiting for its timeout with no cause.
 */
export function promiseOf<T>(output: pulumi.Output<T> | undefined): Promise<T> {
  // An output of the other mode (privateKeyPem in Key Vault mode, keyVaultKeyId outside it) is undefined.
  if (output === undefined) return Promise.reject(new Error("the program does not make this output in this mode"));
  const settled = new Promise<T>((resolve, reject) => {
    pulumi
      .recover(
        output.apply((value): Settled<T> => ({ value })),
        (error: unknown): Settled<T> => ({ error }),
      )
      .apply((result) => ("error" in result ? reject(result.error) : resolve(result.value)));
  });
  // A failed registration never settles its outputs (the SDK leaves that to the CLI): the engine says so.
  return current ? Promise.race([settled, current.failed]) : settled;
}

/** An export the test expects in this mode: an undefined one fails here, by name. */
export function exported<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`the program does not export ${name} in this mode`);
  return value;
}

/** Resources of a type whose name starts with `prefix`. */
export const ofType = (engine: LocalEngine, type: string, prefix = ""): Registered[] =>
  engine.registered.filter((r) => r.type === type && r.name.startsWith(prefix));

/** The first resource of a type (and name prefix); a test that expects one fails here, naming what is missing. */
export function firstOfType(engine: LocalEngine, type: string, prefix = ""): Registered {
  const [first] = ofType(engine, type, prefix);
  if (!first) throw new Error(`the program registered no ${type}${prefix ? ` named ${prefix}*` : ""}`);
  return first;
}

export const types = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  certificate: "azuread:index/applicationCertificate:ApplicationCertificate",
  roleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  password: "random:index/randomPassword:RandomPassword",
  vaultCertificate: "azure:keyvault/certificate:Certificate",
  stackReference: "pulumi:pulumi:StackReference",
};

const generate = promisify(generateKeyPair);
const generated = new Map<number, Promise<KeyObject>[]>();
let drawn = 0;

/**
 * Keys taken in turn: 2048-bit ones from the program's part of the run's pool (never a test certificate's key,
 * see keyPool.ts); other sizes from three made here on first use. The counters live as long as the worker (files
 * share modules). Consecutive keys differ, as a rotation needs.
 */
function nextKey(bits: number): Promise<KeyObject> {
  const slot = drawn++ % programKeyCount;
  const pem = bits === 2048 ? keyPool("program")[slot] : undefined;
  if (pem) return Promise.resolve(createPrivateKey(pem));
  const keys = generated.get(bits) ?? [];
  generated.set(bits, keys);
  const key = keys[slot] ?? generate("rsa", { modulusLength: bits }).then((pair) => pair.privateKey);
  keys[slot] = key;
  return key;
}

/** Resolves every exported Output, as the CLI records stack outputs. */
export async function outputsOf(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(exports)
      .filter((entry): entry is [string, pulumi.Output<unknown>] => pulumi.Output.isInstance(entry[1]))
      .map(async ([k, v]) => [k, await promiseOf(v)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * Runs `fn` with the process's unhandled rejections collected instead of reported. When a registration
 * fails the SDK rejects the pending resource operations on purpose, so the CLI sees them and ends the
 * program; a test that makes a resource fail expects exactly those. Restores the listeners (vitest's
 * own) after the engine has settled.
 */
export async function capturingRejections<T>(
  engine: LocalEngine,
  fn: () => Promise<T>,
): Promise<{ result: T; rejections: unknown[] }> {
  const saved = process.listeners("unhandledRejection");
  const rejections: unknown[] = [];
  const collect = (reason: unknown) => void rejections.push(reason);
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    const result = await fn();
    await engine.settled();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return { result, rejections };
  } finally {
    process.off("unhandledRejection", collect);
    for (const listener of saved) process.on("unhandledRejection", listener);
  }
}

let programRuns = 0;

/**
 * The program (index.ts) run once more against the engine installed last. Test files share their worker's module
 * cache (isolate: false), and an import of a module already loaded returns it without running it again, so each run
 * imports index.ts under a new query, which is a new module to vitest. Its imports (components/, @pulumi/pulumi) stay
 * loaded, as the keys and PKI the helpers made do; installEngine has given Pulumi's runtime a new monitor and config.
 */
export function importProgram(): Promise<typeof import("../../index.js")> {
  return import(/* @vite-ignore */ `../../index.ts?run=${++programRuns}`);
}
