import type { Plain, PlainMap, ValueMap } from "../engine/wire";
import { asSet, bool, isPlainMap, known, obj, objList, optStr, setKey, str, strList, withDefaults } from "./fields";
import { type GraphCall, GraphError } from "./graph";
import { diffKeys, type Invoke, type PriorState, ProviderError, type ResourceProvider } from "./provider";

/** The deploying identity and its tenant, as azuread's getClientConfig reports them. */
export interface ClientConfig {
  tenantId: string;
  clientId: string;
  objectId: string;
}

/** Graph's 404 on delete means already gone: the provider treats it so, which lets an interrupted run clean up. */
async function deleted(call: Promise<Plain>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (err instanceof GraphError && err.status === 404) return;
    throw err;
  }
}

const list = (body: Plain): PlainMap[] =>
  isPlainMap(body) && Array.isArray(body.value) ? body.value.filter(isPlainMap) : [];

const appRoleIds = (app: PlainMap): PlainMap =>
  Object.fromEntries(
    objList(app, "appRoles").flatMap((r) =>
      optStr(r, "value") && r.id !== undefined ? [[str(r, "value", "appRoles"), r.id]] : [],
    ),
  );

/** The Graph body for an application, from the provider's inputs. */
function applicationBody(inputs: PlainMap): PlainMap {
  return {
    displayName: str(inputs, "displayName", "azuread Application"),
    identifierUris: strList(inputs, "identifierUris"),
    appRoles: objList(inputs, "appRoles").map((r) => ({
      id: str(r, "id", "azuread Application appRoles"),
      value: optStr(r, "value") ?? "",
      displayName: optStr(r, "displayName") ?? "",
      description: optStr(r, "description") ?? "",
      allowedMemberTypes: strList(r, "allowedMemberTypes"),
      isEnabled: bool(r, "enabled", true),
    })),
    api: { requestedAccessTokenVersion: obj(inputs, "api").requestedAccessTokenVersion ?? null },
  };
}

/**
 * azuread:index/application:Application. No input of azuread_application is
 * ForceNew (terraform-provider-azuread, application_resource.go): every
 * change is a PATCH. Roles, URIs and owners are sets there, so order is no change.
 */
export function application(graph: GraphCall): ResourceProvider {
  const state = (app: Plain, inputs: PlainMap) => {
    if (!isPlainMap(app)) throw new ProviderError("azuread Application: Graph returned no application");
    const objectId = str(app, "id", "Graph application");
    return {
      id: `/applications/${objectId}`,
      outputs: {
        ...inputs,
        objectId,
        clientId: str(app, "appId", "Graph application"),
        appRoleIds: appRoleIds(app),
        publisherDomain: "localhost",
        disabledByMicrosoft: "<nil>",
      },
    };
  };
  return {
    secretOutputs: [],
    check(news) {
      const checked = withDefaults(news, { signInAudience: "AzureADMyOrg" });
      if (known(checked.displayName) && (typeof checked.displayName !== "string" || checked.displayName === ""))
        throw new ProviderError("azuread Application: displayName is required");
      for (const key of ["identifierUris", "owners"]) checked[key] = asSet(checked[key], String) ?? null;
      checked.appRoles = asSet(checked.appRoles, setKey) ?? null;
      return checked;
    },
    diff: (olds, _outputs, news) => diffKeys(olds, news, () => false),
    create: async (inputs) => state(await graph("POST", "applications", applicationBody(inputs)), inputs),
    async update(prior: PriorState, news) {
      const objectId = String(prior.outputs.objectId);
      // Graph answers a PATCH with 204 and no body; read the application back, as the provider does after an update.
      await graph("PATCH", `applications/${objectId}`, applicationBody(news));
      return state(await graph("GET", `applications/${objectId}`), news);
    },
    delete: (prior) => deleted(graph("DELETE", `applications/${prior.outputs.objectId}`)),
  };
}

/** azuread:index/servicePrincipal:ServicePrincipal: `client_id` is ForceNew; the rest updates in place. */
export function servicePrincipal(graph: GraphCall, tenantId: string): ResourceProvider {
  return {
    secretOutputs: [],
    check(news) {
      const checked = { ...news };
      checked.owners = asSet(checked.owners, String) ?? null;
      return checked;
    },
    diff: (olds, _outputs, news) => diffKeys(olds, news, (k) => k === "clientId"),
    async create(inputs) {
      const clientId = str(inputs, "clientId", "azuread ServicePrincipal");
      const sp = await graph("POST", "servicePrincipals", { appId: clientId });
      if (!isPlainMap(sp)) throw new ProviderError("azuread ServicePrincipal: Graph returned no service principal");
      const app = list(await graph("GET", "applications")).find((a) => a.appId === clientId) ?? {};
      const objectId = str(sp, "id", "Graph service principal");
      return {
        id: `/servicePrincipals/${objectId}`,
        outputs: {
          ...inputs,
          objectId,
          displayName: sp.displayName ?? "",
          appRoleIds: appRoleIds(app),
          applicationTenantId: tenantId,
          servicePrincipalNames: sp.servicePrincipalNames ?? [],
          type: "Application",
        },
      };
    },
    // Owners, tags, notes: nothing the local directory models, so the state changes and Graph does not.
    update: async (prior, news) => ({ id: prior.id, outputs: { ...prior.outputs, ...news } }),
    delete: (prior) => deleted(graph("DELETE", `servicePrincipals/${prior.outputs.objectId}`)),
  };
}

/** azuread insists on the application's resource id here, not its bare object id. */
function applicationObjectId(applicationId: Plain | undefined): string {
  const match = /^\/applications\/([0-9a-f-]{36})$/i.exec(typeof applicationId === "string" ? applicationId : "");
  const objectId = match?.[1];
  if (objectId === undefined)
    throw new ProviderError(
      "azuread ApplicationCertificate: applicationId is not of the form /applications/{objectId}; pass the Application's id",
    );
  return objectId;
}

/**
 * The provider parses dates as RFC3339 and stores them formatted with Go's
 * time.RFC3339 (whole seconds, UTC), so equal instants are no change.
 */
export function normaliseDate(v: ValueMap[string] | undefined, what: string): ValueMap[string] | undefined {
  return typeof v === "string" ? rfc3339Seconds(v, what) : v;
}

function rfc3339Seconds(v: string, what: string): string {
  const ms = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) || Number.isNaN(ms))
    throw new ProviderError(`azuread ApplicationCertificate: ${what} must be an RFC3339 date`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** azuread:index/applicationCertificate:ApplicationCertificate: every field is ForceNew. */
export function applicationCertificate(graph: GraphCall): ResourceProvider {
  return {
    secretOutputs: ["value"],
    check(news) {
      const checked = withDefaults(news, { encoding: "pem" });
      if (known(checked.type) && checked.type !== "AsymmetricX509Cert" && checked.type !== "Symmetric")
        throw new ProviderError("azuread ApplicationCertificate: type must be AsymmetricX509Cert or Symmetric");
      if (known(checked.applicationId)) applicationObjectId(String(checked.applicationId));
      for (const key of ["startDate", "endDate"]) {
        const v = normaliseDate(checked[key], key);
        if (v !== undefined) checked[key] = v;
      }
      return checked;
    },
    diff: (olds, _outputs, news) => diffKeys(olds, news, () => true),
    async create(inputs) {
      const what = "azuread ApplicationCertificate";
      if (inputs.type !== "AsymmetricX509Cert")
        throw new ProviderError(`${what}: type is required and must be AsymmetricX509Cert (there is no default)`);
      const objectId = applicationObjectId(inputs.applicationId);
      const value = str(inputs, "value", what);
      const encoding = optStr(inputs, "encoding") ?? "pem";
      const body =
        encoding === "pem"
          ? value
          : encoding === "base64"
            ? value
            : encoding === "hex"
              ? Buffer.from(value, "hex").toString("base64")
              : undefined;
      if (body === undefined) throw new ProviderError(`${what}: encoding must be pem, base64 or hex`);
      const pem = body.includes("-----BEGIN")
        ? body
        : `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
      // Graph takes absent fields as "choose for me" and refuses nulls.
      const request: PlainMap = { key: pem };
      const renames: [from: string, to: string][] = [
        ["keyId", "keyId"],
        ["startDate", "startDateTime"],
        ["endDate", "endDateTime"],
      ];
      for (const [from, to] of renames) {
        const v = optStr(inputs, from);
        if (v) request[to] = v;
      }
      const key = await graph("POST", `applications/${objectId}/keyCredentials`, request);
      if (!isPlainMap(key)) throw new ProviderError(`${what}: Graph returned no key credential`);
      const keyId = str(key, "keyId", "Graph key credential");
      return {
        id: `${objectId}/certificate/${keyId}`,
        outputs: {
          ...inputs,
          keyId,
          startDate: typeof key.startDateTime === "string" ? rfc3339Seconds(key.startDateTime, "startDate") : null,
          endDate: typeof key.endDateTime === "string" ? rfc3339Seconds(key.endDateTime, "endDate") : null,
        },
      };
    },
    delete: (prior) =>
      deleted(
        graph(
          "DELETE",
          `applications/${applicationObjectId(prior.inputs.applicationId)}/keyCredentials/${prior.outputs.keyId}`,
        ),
      ),
  };
}

/**
 * azuread:index/appRoleAssignment:AppRoleAssignment: every field is ForceNew.
 * Created and deleted through the resource's `appRoleAssignedTo`, as the
 * provider does (app_role_assignment_resource.go), contract 3.
 */
export function appRoleAssignment(graph: GraphCall): ResourceProvider {
  return {
    secretOutputs: [],
    check: (news) => ({ ...news }),
    diff: (olds, _outputs, news) => diffKeys(olds, news, () => true),
    async create(inputs) {
      const what = "azuread AppRoleAssignment";
      const resourceId = str(inputs, "resourceObjectId", what);
      const principalId = str(inputs, "principalObjectId", what);
      const appRoleId = str(inputs, "appRoleId", what);
      const a = await graph("POST", `servicePrincipals/${resourceId}/appRoleAssignedTo`, {
        principalId,
        resourceId,
        appRoleId,
      });
      if (!isPlainMap(a)) throw new ProviderError(`${what}: Graph returned no assignment`);
      const id = str(a, "id", "Graph app role assignment");
      return {
        id: `/servicePrincipals/${resourceId}/appRoleAssignedTo/${id}`,
        outputs: {
          ...inputs,
          principalDisplayName: a.principalDisplayName ?? "",
          resourceDisplayName: a.resourceDisplayName ?? "",
          principalType: "ServicePrincipal",
        },
      };
    },
    delete: (prior) => deleted(graph("DELETE", prior.id.replace(/^\//, ""))),
  };
}

/** The functions the program calls: getClientConfig, getServicePrincipal, getApplication. */
export function azureadInvokes(graph: GraphCall, client: ClientConfig): Record<string, Invoke> {
  return {
    "azuread:index/getClientConfig:getClientConfig": async () => ({ ...client, id: client.tenantId }),
    "azuread:index/getServicePrincipal:getServicePrincipal": async (args) => {
      const sps = list(await graph("GET", "servicePrincipals"));
      const sp = sps.find(
        (s) =>
          (args.clientId && s.appId === args.clientId) ||
          (args.objectId && s.id === args.objectId) ||
          (args.displayName && s.displayName === args.displayName),
      );
      if (!sp)
        throw new ProviderError(
          "azuread getServicePrincipal: no service principal matches clientId/objectId/displayName",
        );
      const app = list(await graph("GET", "applications")).find((a) => a.appId === sp.appId) ?? {};
      return {
        id: sp.id ?? null,
        objectId: sp.id ?? null,
        clientId: sp.appId ?? null,
        displayName: sp.displayName ?? null,
        servicePrincipalNames: sp.servicePrincipalNames ?? [],
        appRoleIds: appRoleIds(app),
        appRoles: objList(app, "appRoles").map((r) => ({ ...r, enabled: r.isEnabled ?? true })),
        applicationTenantId: client.tenantId,
        type: "Application",
      };
    },
    "azuread:index/getApplication:getApplication": async (args) => {
      const app = list(await graph("GET", "applications")).find(
        (a) =>
          (args.clientId && a.appId === args.clientId) ||
          (args.objectId && a.id === args.objectId) ||
          (args.displayName && a.displayName === args.displayName) ||
          (typeof args.identifierUri === "string" && strList(a, "identifierUris").includes(args.identifierUri)),
      );
      if (!app)
        throw new ProviderError(
          "azuread getApplication: no application matches clientId/objectId/displayName/identifierUri",
        );
      return {
        id: `/applications/${app.id}`,
        objectId: app.id ?? null,
        clientId: app.appId ?? null,
        displayName: app.displayName ?? null,
        identifierUris: app.identifierUris ?? [],
        appRoleIds: appRoleIds(app),
        appRoles: objList(app, "appRoles").map((r) => ({ ...r, enabled: r.isEnabled ?? true })),
      };
    },
  };
}
