import type { AppRole, NewApplication } from "../../../entra/directory";
import { bool, isFields, optStr, str, strList } from "../../../rehearsal/providers/fields";
import type { DirectoryApi } from "./directoryApi";
import type { Created, Inputs, Provider, ResourceHandler, StateEntry } from "./engine";

/** The deploying identity, as azuread's getClientConfig reports it. */
export interface Deployer {
  clientId: string;
  objectId: string;
}

/**
 * The azuread resources the program uses, made real in the local Entra ID's
 * directory, with the ids and outputs a real deployment returns.
 */
export function azureadProvider(directory: DirectoryApi, deployer: Deployer): Provider {
  return {
    resources: {
      "azuread:index/application:Application": application(directory),
      "azuread:index/servicePrincipal:ServicePrincipal": servicePrincipal(directory),
      "azuread:index/applicationCertificate:ApplicationCertificate": applicationCertificate(directory),
      "azuread:index/appRoleAssignment:AppRoleAssignment": appRoleAssignment(directory),
    },
    invokes: {
      "azuread:index/getClientConfig:getClientConfig": async () => ({
        ...deployer,
        tenantId: directory.tenantId,
        id: directory.tenantId,
      }),
      "azuread:index/getServicePrincipal:getServicePrincipal": (inputs) =>
        lookupServicePrincipal(directory, str(inputs, "clientId", "azuread getServicePrincipal")),
    },
  };
}

const appRolesOf = (roles: unknown): AppRole[] =>
  (Array.isArray(roles) ? roles : []).filter(isFields).map((r) => ({
    id: str(r, "id", "azuread Application appRoles"),
    value: str(r, "value", "azuread Application appRoles"),
    displayName: optStr(r, "displayName"),
    description: optStr(r, "description"),
    allowedMemberTypes: strList(r, "allowedMemberTypes"),
    isEnabled: bool(r, "enabled", true),
  }));

const appRoleIds = (roles: AppRole[]) => Object.fromEntries(roles.filter((r) => r.value).map((r) => [r.value, r.id]));

function applicationFields(inputs: Inputs): NewApplication {
  const version = isFields(inputs.api) ? (inputs.api.requestedAccessTokenVersion ?? null) : null;
  if (version !== null && version !== 1 && version !== 2)
    throw new Error("azuread Application: api.requestedAccessTokenVersion must be 1 or 2");
  return {
    displayName: str(inputs, "displayName", "azuread Application"),
    identifierUris: strList(inputs, "identifierUris"),
    appRoles: appRolesOf(inputs.appRoles),
    api: { requestedAccessTokenVersion: version },
  };
}

function application(directory: DirectoryApi): ResourceHandler {
  const result = (app: { id: string; appId: string; appRoles: AppRole[] }): Created => ({
    id: `/applications/${app.id}`,
    outputs: {
      objectId: app.id,
      clientId: app.appId,
      appRoleIds: appRoleIds(app.appRoles),
      publisherDomain: "localhost",
    },
  });
  return {
    create: async (inputs) => result(await directory.createApplication(applicationFields(inputs))),
    updatable: ["displayName", "identifierUris", "appRoles", "api", "owners", "signInAudience"],
    update: async (_id, inputs, previous) =>
      result(await directory.updateApplication(String(previous.outputs.objectId), applicationFields(inputs))),
    delete: (entry) => directory.deleteApplication(String(entry.outputs.objectId)),
  };
}

function servicePrincipal(directory: DirectoryApi): ResourceHandler {
  const result = async (sp: { id: string; appId: string; displayName: string }): Promise<Created> => {
    const app = (await directory.applications()).find((a) => a.appId === sp.appId);
    return {
      id: `/servicePrincipals/${sp.id}`,
      outputs: {
        objectId: sp.id,
        clientId: sp.appId,
        displayName: sp.displayName,
        appRoleIds: appRoleIds(app?.appRoles ?? []),
        applicationTenantId: directory.tenantId,
      },
    };
  };
  return {
    create: async (inputs) =>
      result(await directory.createServicePrincipal(str(inputs, "clientId", "azuread ServicePrincipal"))),
    // Owners and the like change in place; a new clientId is a new service principal.
    updatable: ["owners", "appRoleAssignmentRequired", "description", "notes", "tags"],
    update: async (_id, _inputs, previous) => ({ id: previous.id, outputs: previous.outputs }),
    delete: (entry) => directory.deleteServicePrincipal(String(entry.outputs.objectId)),
  };
}

/** azuread insists on the application's resource id here, not its bare object id. */
function applicationObjectId(applicationId: unknown): string {
  const match = /^\/applications\/([0-9a-f-]{36})$/i.exec(typeof applicationId === "string" ? applicationId : "");
  const objectId = match?.[1];
  if (objectId === undefined)
    throw new Error(
      `azuread ApplicationCertificate: applicationId "${applicationId}" is not of the form /applications/{objectId}; pass the Application's id`,
    );
  return objectId;
}

function certificateValue(inputs: Inputs): string {
  const encoding = optStr(inputs, "encoding") ?? "pem";
  const value = str(inputs, "value", "azuread ApplicationCertificate");
  if (encoding === "pem") return value;
  if (encoding === "base64") return value;
  // Key Vault's certificate_data, as the documented Key Vault pattern attaches it; Buffer.from would skip bad digits.
  if (encoding === "hex") {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(value))
      throw new Error("azuread ApplicationCertificate: value is not hex while encoding is hex");
    return Buffer.from(value, "hex").toString("base64");
  }
  throw new Error(`azuread ApplicationCertificate: encoding ${encoding} is not pem, base64 or hex`);
}

function applicationCertificate(directory: DirectoryApi): ResourceHandler {
  return {
    // Every field forces replacement, as in the real provider.
    async create(inputs) {
      if (inputs.type !== "AsymmetricX509Cert")
        throw new Error(
          `azuread ApplicationCertificate: type ${inputs.type} is not AsymmetricX509Cert (there is no default)`,
        );
      const objectId = applicationObjectId(inputs.applicationId);
      const value = certificateValue(inputs);
      const pem = value.includes("-----BEGIN")
        ? value
        : `-----BEGIN CERTIFICATE-----\n${value}\n-----END CERTIFICATE-----\n`;
      const key = await directory.addKeyCredential(objectId, {
        key: pem,
        keyId: optStr(inputs, "keyId"),
        startDateTime: optStr(inputs, "startDate"),
        endDateTime: optStr(inputs, "endDate"),
      });
      return {
        id: `${objectId}/certificate/${key.keyId}`,
        outputs: { keyId: key.keyId, startDate: key.startDateTime, endDate: key.endDateTime },
      };
    },
    delete: (entry: StateEntry) =>
      directory.removeKeyCredential(applicationObjectId(entry.inputs.applicationId), String(entry.outputs.keyId)),
  };
}

function appRoleAssignment(directory: DirectoryApi): ResourceHandler {
  return {
    async create(inputs) {
      const what = "azuread AppRoleAssignment";
      const a = await directory.assignAppRole({
        principalId: str(inputs, "principalObjectId", what),
        resourceId: str(inputs, "resourceObjectId", what),
        appRoleId: str(inputs, "appRoleId", what),
      });
      return {
        id: `/servicePrincipals/${inputs.resourceObjectId}/appRoleAssignedTo/${a.id}`,
        outputs: {
          principalDisplayName: "",
          resourceDisplayName: "",
          principalType: "ServicePrincipal",
          assignmentId: a.id,
        },
      };
    },
    delete: (entry) => directory.removeAppRoleAssignment(String(entry.outputs.assignmentId)),
  };
}

async function lookupServicePrincipal(directory: DirectoryApi, clientId: string): Promise<Record<string, unknown>> {
  const sp = (await directory.servicePrincipals()).find((s) => s.appId === clientId);
  if (!sp)
    throw new Error(
      `azuread getServicePrincipal: no service principal with client id ${clientId} in tenant ${directory.tenantId}`,
    );
  const app = (await directory.applications()).find((a) => a.appId === clientId);
  return {
    id: sp.id,
    objectId: sp.id,
    clientId: sp.appId,
    displayName: sp.displayName,
    servicePrincipalNames: sp.servicePrincipalNames,
    appRoleIds: appRoleIds(app?.appRoles ?? []),
    appRoles: [],
  };
}
