import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { directoryAdmin } from "../../entra/admin";
import { openStore } from "../../entra/store";
import { inProcessDirectory } from "../../rehearsal/directoryApi";
import { localProvider } from "../../rehearsal/providers";
import { LocalEngine, type Registered, type StateEntry, type Step } from "../../rehearsal/providers/legacy/engine";

export const project = "entra-cert-auth";

/**
 * The local engine with real-crypto tls handlers and an in-process directory,
 * installed as Pulumi's monitor. Call before importing the program.
 */
export function installEngine(
  config: Record<string, unknown> = {},
  previous: StateEntry[] = [],
  admin = newDirectory(),
  onStep?: (s: Step) => void,
) {
  const deployer = {
    clientId: "11111111-1111-4111-8111-111111111111",
    objectId: "22222222-2222-4222-8222-222222222222",
  };
  const engine = new LocalEngine(localProvider(inProcessDirectory(admin), deployer), previous, onStep).install(
    project,
    "test",
  );
  setConfig(config);
  return { engine, admin, deployer };
}

export const newDirectory = () =>
  directoryAdmin(openStore(join(mkdtempSync(join(tmpdir(), "eca-program-")), "entra.json")));

/** Stack config as `pulumi config set` would store it: strings, lists as JSON. */
export function setConfig(config: Record<string, unknown>): void {
  const values = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [`${project}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  pulumi.runtime.setAllConfig(values, [`${project}:privateKeyPem`]);
}

export const promiseOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

/** Resources of a type whose name starts with `prefix`. */
export const ofType = (engine: LocalEngine, type: string, prefix = ""): Registered[] =>
  engine.registered.filter((r) => r.type === type && r.name.startsWith(prefix));

export const types = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  certificate: "azuread:index/applicationCertificate:ApplicationCertificate",
  roleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
};
