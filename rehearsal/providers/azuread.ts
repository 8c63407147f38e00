import { randomUUID } from "node:crypto";
import { type Invoke, type PriorState, ProviderError, type ResourceProvider } from "../engine/provider";
import type { Plain, PlainMap, ValueMap } from "../engine/wire";
import { diffState } from "./diff";
import { asSet, bool, isPlainMap, known, obj, objList, optStr, setKey, str, strList, withDefaults } from "./fields";
import { type GraphCall, GraphError } from "./graph";

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

/** Where the application provider's owner references point, and who is calling. */
export interface OwnerContext {
  authorityHost: string;
  /** The deploying identity's object id (getClientConfig's objectId). */
  callerId: string;
}

const sameGuid = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * azuread:index/application:Application. No input of azuread_application is
 * ForceNew (terraform-provider-azuread, application_resource.go): every
 * change is a PATCH. Roles, URIs and owners are sets there, so order is no change.
 * Owners as the provider applies them: the caller is always among the first
 * owners bound at creation and removed afterwards unless `owners` lists it;
 * an update adds the missing owners first, then removes the others.
 */
export function application(graph: GraphCall, who: OwnerContext): ResourceProvider {
  const reference = (id: string) => `${who.authorityHost}/graph/v1.0/directoryObjects/${id}`;
  const ownersOf = async (objectId: string) =>
    list(await graph("GET", `applications/${objectId}/owners`))
      .map((o) => String(o.id))
      .sort();
  const state = async (app: Plain, inputs: PlainMap) => {
    if (!isPlainMap(app)) throw new ProviderError("azuread Application: Graph returned no application");
    const objectId = str(app, "id", "Graph application");
    const owners = await ownersOf(objectId);
    return {
      id: `/applications/${objectId}`,
      outputs: {
        ...inputs,
        owners,
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
    diff: (olds, outputs, news) => diffState(olds, outputs, news, () => false),
    async create(inputs) {
      const owners = strList(inputs, "owners");
      const others = owners.filter((o) => !sameGuid(o, who.callerId));
      // Graph binds at most 20 owners in the create request; the provider adds the rest after.
      const first = [who.callerId, ...others.slice(0, 19)];
      const app = await graph("POST", "applications", {
        ...applicationBody(inputs),
        "owners@odata.bind": first.map(reference),
      });
      const objectId = isPlainMap(app) ? str(app, "id", "Graph application") : "";
      for (const owner of others.slice(19))
        await graph("POST", `applications/${objectId}/owners/$ref`, { "@odata.id": reference(owner) });
      if (!owners.some((o) => sameGuid(o, who.callerId)))
        await graph("DELETE", `applications/${objectId}/owners/${who.callerId}/$ref`);
      return state(app, inputs);
    },
    async update(prior: PriorState, news) {
      const objectId = String(prior.outputs.objectId);
      // Graph answers a PATCH with 204 and no body; read the application back, as the provider does after an update.
      await graph("PATCH", `applications/${objectId}`, applicationBody(news));
      const desired = strList(news, "owners");
      if (desired.length > 0) {
        const existing = await ownersOf(objectId);
        for (const owner of desired.filter((o) => !existing.some((e) => sameGuid(e, o))))
          await graph("POST", `applications/${objectId}/owners/$ref`, { "@odata.id": reference(owner) });
        for (const owner of existing.filter((e) => !desired.some((o) => sameGuid(e, o))))
          await graph("DELETE", `applications/${objectId}/owners/${owner}/$ref`);
      }
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
    diff: (olds, outputs, news) => diffState(olds, outputs, news, (k) => k === "clientId"),
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
 * Go's time.Parse(time.RFC3339), which the schema's validation.IsRFC3339Time uses: a date, `T`, a time with
 * optional fractional seconds, and `Z` or an offset. The value is kept as written: the provider's state holds
 * what Graph returns, formatted again (applicationCertificateResourceRead), so a differently written instant differs.
 */
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function checkDate(v: ValueMap[string] | undefined, what: string): void {
  if (!known(v) || v === null) return;
  if (typeof v !== "string" || !rfc3339.test(v) || Number.isNaN(Date.parse(v)))
    throw new ProviderError(`azuread ApplicationCertificate: ${what} must be an RFC3339 date`);
}

/** time.Time.Format(time.RFC3339) of a UTC instant: whole seconds, `Z`. */
function rfc3339Seconds(v: string): string {
  return new Date(Math.floor(Date.parse(v) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** The ApplicationCertificate inputs the schema marks Computed: left out, they keep the state's value. */
const certificateComputed = ["applicationId", "keyId", "startDate", "endDate"];

/**
 * `key` as helpers.KeyCredentialForResource builds it (terraform-provider-azuread internal/helpers/credentials.go):
 * base64 of the PEM text. For `base64` and `hex` the value is DER, PEM-encoded first.
 */
export function keyOf(value: string, encoding: string): string {
  const what = "azuread ApplicationCertificate";
  const pemOf = (der: Buffer) =>
    `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  if (encoding === "pem") return Buffer.from(value, "utf8").toString("base64");
  if (encoding === "base64") {
    const text = value.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
      throw new ProviderError(`${what}: failed to decode base64 certificate data`);
    return Buffer.from(pemOf(Buffer.from(text, "base64"))).toString("base64");
  }
  if (encoding === "hex") {
    const text = value.trim();
    if (!/^([0-9a-fA-F]{2})+$/.test(text))
      throw new ProviderError(`${what}: failed to decode hexadecimal certificate data`);
    return Buffer.from(pemOf(Buffer.from(text, "hex"))).toString("base64");
  }
  throw new ProviderError(`${what}: encoding must be pem, base64 or hex`);
}

/**
 * azuread:index/applicationCertificate:ApplicationCertificate: every field is
 * ForceNew. Attached and removed as the provider does
 * (application_certificate_resource.go): read the application, PATCH its
 * whole keyCredentials list with the credential added, or without it.
 */
export function applicationCertificate(graph: GraphCall): ResourceProvider {
  const what = "azuread ApplicationCertificate";
  const credentialsOf = async (objectId: string): Promise<PlainMap[]> => {
    const app = await graph("GET", `applications/${objectId}`);
    return isPlainMap(app) ? objList(app, "keyCredentials") : [];
  };
  return {
    secretOutputs: ["value"],
    check(news) {
      const checked = withDefaults(news, { encoding: "pem" });
      if (known(checked.type) && checked.type !== "AsymmetricX509Cert" && checked.type !== "Symmetric")
        throw new ProviderError(`${what}: type must be AsymmetricX509Cert or Symmetric`);
      if (known(checked.encoding) && !["pem", "base64", "hex"].includes(String(checked.encoding)))
        throw new ProviderError(`${what}: encoding must be pem, base64 or hex`);
      if (known(checked.applicationId)) applicationObjectId(String(checked.applicationId));
      for (const key of ["startDate", "endDate"]) checkDate(checked[key], key);
      return checked;
    },
    diff: (olds, outputs, news) => diffState(olds, outputs, news, () => true, certificateComputed),
    async create(inputs) {
      if (inputs.type !== "AsymmetricX509Cert")
        throw new ProviderError(`${what}: type is required and must be AsymmetricX509Cert (there is no default)`);
      const objectId = applicationObjectId(inputs.applicationId);
      const credential: PlainMap = {
        keyId: optStr(inputs, "keyId") ?? randomUUID(),
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: keyOf(str(inputs, "value", what), optStr(inputs, "encoding") ?? "pem"),
      };
      const start = optStr(inputs, "startDate");
      const end = optStr(inputs, "endDate");
      if (start) credential.startDateTime = rfc3339Seconds(start);
      if (end) credential.endDateTime = rfc3339Seconds(end);
      const existing = await credentialsOf(objectId);
      if (existing.some((k) => typeof k.keyId === "string" && sameGuid(k.keyId, String(credential.keyId))))
        throw new ProviderError(`${what}: a credential with this keyId already exists; import it instead`);
      await graph("PATCH", `applications/${objectId}`, { keyCredentials: [...existing, credential] });
      // Read back, as applicationCertificateResourceRead does: the dates are Graph's, formatted RFC3339.
      const made = (await credentialsOf(objectId)).find(
        (k) => typeof k.keyId === "string" && sameGuid(k.keyId, String(credential.keyId)),
      );
      if (!made) throw new ProviderError(`${what}: certificate credential not found in application manifest`);
      const keyId = str(made, "keyId", "Graph key credential");
      return {
        id: `${objectId}/certificate/${keyId}`,
        outputs: {
          ...inputs,
          keyId,
          startDate: typeof made.startDateTime === "string" ? rfc3339Seconds(made.startDateTime) : "",
          endDate: typeof made.endDateTime === "string" ? rfc3339Seconds(made.endDateTime) : "",
        },
      };
    },
    async delete(prior) {
      const objectId = applicationObjectId(prior.inputs.applicationId);
      const keyId = String(prior.outputs.keyId);
      let existing: PlainMap[];
      try {
        existing = await credentialsOf(objectId);
      } catch (err) {
        // The application is gone, and its credentials with it: an interrupted run can clean up.
        if (err instanceof GraphError && err.status === 404) return;
        throw err;
      }
      const kept = existing.filter((k) => typeof k.keyId === "string" && !sameGuid(k.keyId, keyId));
      await graph("PATCH", `applications/${objectId}`, { keyCredentials: kept });
    },
  };
}

/**
 * azuread:index/appRoleAssignment:AppRoleAssignment: every field is ForceNew.
 * Created and deleted through the resource's `appRoleAssignedTo`, as the
 * provider does (app_role_assignment_resource.go).
 */
export function appRoleAssignment(graph: GraphCall): ResourceProvider {
  return {
    secretOutputs: [],
    check: (news) => ({ ...news }),
    diff: (olds, outputs, news) => diffState(olds, outputs, news, () => true),
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
