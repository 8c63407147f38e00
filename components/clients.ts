import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { companionApi, existingApi, type ResourceApi } from "./api";
import { CertificateApp } from "./certificateApp";
import type { Clients } from "./clientSettings";
import type { Settings } from "./defaults";
import { grantedRoles } from "./roles";
import { stackPath } from "./stack";

/**
 * The outputs of one app, under the names of the single-app stack outputs: the contract verify and every other
 * consumer read, whether from the top level or from `clients.<name>`.
 */
export const appOutputNames = [
  "tenantId",
  "clientId",
  "applicationObjectId",
  "servicePrincipalObjectId",
  "authority",
  "scope",
  "apiClientId",
  "expectedRoles",
  "certificatePem",
  "privateKeyPem",
  "thumbprint",
  "thumbprintSha256",
  "keyId",
  "certificateNotAfter",
  "certificatePfx",
  "pfxPassword",
  "keyVaultKeyId",
  "keyVaultCertificateId",
  "keyVaultSecretId",
  "attachedCertificates",
  "rotationState",
] as const satisfies readonly (keyof CertificateApp)[];

/** One app's outputs: those its mode makes (an undefined one is left out, as a stack output would be). */
export type AppOutputs = Partial<Record<(typeof appOutputNames)[number], pulumi.Output<unknown>>>;

/** The outputs of an app, keyed as the stack outputs are; secrets stay secret Outputs. */
export function outputsOfApp(app: CertificateApp): AppOutputs {
  const outputs: AppOutputs = {};
  for (const name of appOutputNames) {
    const value = app[name];
    if (value !== undefined) outputs[name] = value;
  }
  return outputs;
}

/** The stack output a program exports CertificateClients' `outputs` as. */
export const clientsOutput = "clients";

/**
 * Many certificate-authenticated apps over one API: one companion API (or the existing `apiClientId`), and for
 * each client its own CertificateApp (application, service principal, generations, overlap rotation, grants).
 * Each client's rotation memory is its entry of the previous deployment's `clients` output, read through one
 * StackReference to this stack; a client removed from the map takes its resources with it at the end of the
 * update, and the others are not touched. The program exports `outputs` as the stack output `clients`
 * (clientsOutput): that is where the next deployment reads each client's memory, and where verify finds them.
 */
export class CertificateClients extends pulumi.ComponentResource {
  readonly apps: Record<string, CertificateApp>;
  /** What the `clients` stack output holds: each client's outputs by name. */
  readonly outputs: Record<string, AppOutputs>;

  constructor(name: string, args: Clients, opts?: pulumi.ComponentResourceOptions) {
    super("entra-cert-auth:index:CertificateClients", name, {}, opts);
    const { base, clients } = args;
    const api = sharedApi(name, base, Object.values(clients), this);
    const ref = new pulumi.StackReference(`${name}-previous-outputs`, { name: stackPath() }, { parent: this });
    // `clients` holds secrets (keys, PFX), so the whole output is secret: its value is read either way.
    const previous = ref
      .getOutputDetails(clientsOutput)
      .then((d) => (d.value ?? d.secretValue) as Record<string, Record<string, unknown>> | undefined);
    this.apps = {};
    this.outputs = {};
    for (const [client, settings] of Object.entries(clients)) {
      const app = new CertificateApp(
        client,
        {
          ...settings,
          api,
          previousOutput: async (output) => {
            const all = await previous;
            return typeof all === "object" && all !== null ? all[client]?.[output] : undefined;
          },
        },
        { parent: this },
      );
      this.apps[client] = app;
      this.outputs[client] = outputsOfApp(app);
    }
    this.registerOutputs({ clients: this.outputs });
  }
}

/**
 * The API every client is granted roles on. The companion API is named after the component (`<name>-api`) and
 * its identifier URI after the stack and component, as a single app's is, so it never collides with one. Its
 * role ids cover every role it exposes; an existing API's cover the roles any client is granted.
 */
function sharedApi(name: string, base: Settings, clients: Settings[], parent: pulumi.Resource): ResourceApi {
  if (base.apiClientId) {
    const roles = [...new Set(clients.flatMap((c) => grantedRoles(c)))];
    return existingApi({ ...base, roles }, parent);
  }
  const client = azuread.getClientConfigOutput({ parent });
  const owners = base.owners.length > 0 ? pulumi.output(base.owners) : client.objectId.apply((id) => [id]);
  return companionApi(name, { ...base, roles: [] }, client.tenantId, owners, parent);
}
