import { Agent, request } from "node:https";
import type { AppRoleAssignment } from "../entra/directory";
import type { DirectoryApi } from "./directoryApi";

/** A Graph-shaped admin error from the local Entra ID. */
export class GraphError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = "GraphError";
  }
}

/**
 * The local Entra ID's admin routes over HTTPS, trusting only its CA, with
 * the admin key from `start()` as a bearer token (contract 2).
 */
export function graphClient(authorityHost: string, caPem: string, tenantId: string, adminKey = ""): DirectoryApi {
  const agent = new Agent({ ca: caPem });
  const auth: Record<string, string> = adminKey ? { Authorization: `Bearer ${adminKey}` } : {};
  const call = <T>(method: string, path: string, body?: unknown) =>
    send<T>(agent, auth, method, `${authorityHost}/graph/v1.0/${path}`, body);
  return {
    tenantId,
    createApplication: (input) => call("POST", "applications", input),
    updateApplication: (id, patch) => call("PATCH", `applications/${id}`, patch),
    deleteApplication: (id) => call("DELETE", `applications/${id}`),
    addKeyCredential: (appObjectId, input) => call("POST", `applications/${appObjectId}/keyCredentials`, input),
    removeKeyCredential: (appObjectId, keyId) => call("DELETE", `applications/${appObjectId}/keyCredentials/${keyId}`),
    createServicePrincipal: (appId) => call("POST", "servicePrincipals", { appId }),
    deleteServicePrincipal: (id) => call("DELETE", `servicePrincipals/${id}`),
    // As the azuread provider does (contract 3): through the resource's appRoleAssignedTo.
    assignAppRole: (input) =>
      call<AppRoleAssignment>("POST", `servicePrincipals/${input.resourceId}/appRoleAssignedTo`, input).catch(
        (err: unknown) => {
          // A local Entra ID from before contract 3 knows only the principal's route; drop with it at the merge.
          if (err instanceof GraphError && err.status === 404)
            return call<AppRoleAssignment>("POST", `servicePrincipals/${input.principalId}/appRoleAssignments`, input);
          throw err;
        },
      ),
    removeAppRoleAssignment: (id, resourceId) =>
      resourceId
        ? call("DELETE", `servicePrincipals/${resourceId}/appRoleAssignedTo/${id}`)
        : // Callers that do not know the resource yet (the legacy providers) use the old route.
          call("DELETE", `servicePrincipals/any/appRoleAssignments/${id}`),
    applications: async () => (await call<{ value: never[] }>("GET", "applications")).value,
    servicePrincipals: async () => (await call<{ value: never[] }>("GET", "servicePrincipals")).value,
  };
}

function send<T>(agent: Agent, auth: Record<string, string>, method: string, url: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...auth,
          ...(text ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          const parsed = raw ? JSON.parse(raw) : undefined;
          if ((res.statusCode ?? 500) >= 400) {
            reject(
              new GraphError(
                parsed?.error?.code ?? "Unknown",
                parsed?.error?.message ?? `HTTP ${res.statusCode}`,
                res.statusCode ?? 500,
              ),
            );
          } else resolve(parsed as T);
        });
      },
    );
    req.on("error", reject);
    if (text) req.write(text);
    req.end();
  });
}
