import * as pulumi from "@pulumi/pulumi";
import { CertificateApp } from "./components/certificateApp";
import { clientsOf, readClientsConfig } from "./components/clientSettings";
import { CertificateClients } from "./components/clients";
import { ConfigError } from "./components/errors";
import { readSettings } from "./components/settings";
import { azureSubscriptionProblems, settingsProblems } from "./components/validation";

// The Pulumi entry: read config, build one certificate-authenticated app,
// export what a client needs. The output names are the contract verify and the rehearsal read;
// rotationState is read back by the program itself on the next deployment. In Key Vault mode
// privateKeyPem, certificatePfx and pfxPassword are undefined and the keyVault* ids are set; outside it the
// reverse (keyVaultSecretId only when exportable). An undefined export is no stack output at all.
//
// With the `clients` setting (a map from a client's name to its settings) the program makes one app per client
// over one shared API instead, and exports only `clients`: each name to the same outputs as the single app's.
// Unset (or an empty map), nothing changes: the same resources, the same outputs.
const config = new pulumi.Config();
const settings = readSettings(config);
const many = clientsOf(readClientsConfig(config), settings);
// Key Vault mode's azure provider is the default one, configured by the stack (azure:subscriptionId) or the
// environment: checked against the vaults here, at preview, before any resource is registered.
const vaults = (many ? Object.values(many.clients) : [settings]).map((s) => s.keyVaultId).filter((id) => id !== "");
const subscriptionProblems = azureSubscriptionProblems(vaults, {
  config: new pulumi.Config("azure").get("subscriptionId"),
  env: process.env.ARM_SUBSCRIPTION_ID,
});
// Reported with the settings' own problems, all at once, as the component would report those.
if (subscriptionProblems.length > 0)
  throw new ConfigError([...(many ? [] : settingsProblems(settings)), ...subscriptionProblems]);
// Typed as always made, so that the single app's exports keep their types; with clients each is undefined and dropped.
const app = (many ? undefined : new CertificateApp("client", settings)) as CertificateApp;
const multi = many ? new CertificateClients("clients", many) : undefined;

export const tenantId = app?.tenantId;
export const clientId = app?.clientId;
export const applicationObjectId = app?.applicationObjectId;
export const servicePrincipalObjectId = app?.servicePrincipalObjectId;
export const authority = app?.authority;
export const scope = app?.scope;
export const apiClientId = app?.apiClientId;
export const expectedRoles = app?.expectedRoles;
export const certificatePem = app?.certificatePem;
export const privateKeyPem = app?.privateKeyPem;
export const thumbprint = app?.thumbprint;
export const thumbprintSha256 = app?.thumbprintSha256;
export const keyId = app?.keyId;
export const certificateNotAfter = app?.certificateNotAfter;
export const certificatePfx = app?.certificatePfx;
export const pfxPassword = app?.pfxPassword;
export const keyVaultKeyId = app?.keyVaultKeyId;
export const keyVaultCertificateId = app?.keyVaultCertificateId;
export const keyVaultSecretId = app?.keyVaultSecretId;
export const attachedCertificates = app?.attachedCertificates;
export const rotationState = app?.rotationState;
export const clients = multi?.outputs;

// `pulumi up` requires this file as CommonJS and records every enumerable export (@pulumi/pulumi cmd/run/run.js,
// runtime/stack.ts massage), warning on each run that an undefined one "will not show as a stack output". The
// other mode's names are removed so that neither mode prints three warnings every run. (Loaded as an ES module,
// as the program tests load it, there is no `module` and nothing to remove: undefined exports are dropped anyway.)
if (typeof module !== "undefined") {
  const exported = module.exports as Record<string, unknown>;
  for (const name of Object.keys(exported)) if (exported[name] === undefined) delete exported[name];
}
