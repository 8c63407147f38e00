import { Agent, request } from "node:https";
import type { DirectoryApi } from "./mockEngine/directoryApi";

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

/** The local Entra ID's admin routes over HTTPS, trusting only its CA, with its admin key (contract 2). */
export function graphClient(authorityHost: string, caPem: string, tenantId: string, adminKey: string): DirectoryApi {
  const agent = new Agent({ ca: caPem });
  const call = <T>(method: string, path: string, body?: unknown) =>
    send<T>(agent, adminKey, method, `${authorityHost}/graph/v1.0/${path}`, body);
  type Assignment = { id: string };
  /** Contract 3: assignments are deleted under their resource; find it when the caller does not say. */
  const resourceOf = async (assignmentId: string) => {
    for (const sp of (await call<{ value: { id: string }[] }>("GET", "servicePrincipals")).value) {
      const { value } = await call<{ value: Assignment[] }>("GET", `servicePrincipals/${sp.id}/appRoleAssignedTo`);
      if (value.some((a) => a.id === assignmentId)) return sp.id;
    }
    throw new GraphError("Request_ResourceNotFound", `App role assignment ${assignmentId} does not exist.`, 404);
  };
  return {
    tenantId,
    createApplication: (input) => call("POST", "applications", input),
    // Graph answers PATCH with 204; read the application back.
    updateApplication: async (id, patch) => {
      await call("PATCH", `applications/${id}`, patch);
      return call("GET", `applications/${id}`);
    },
    deleteApplication: (id) => call("DELETE", `applications/${id}`),
    addKeyCredential: (appObjectId, input) => call("POST", `applications/${appObjectId}/keyCredentials`, input),
    removeKeyCredential: (appObjectId, keyId) => call("DELETE", `applications/${appObjectId}/keyCredentials/${keyId}`),
    createServicePrincipal: (appId) => call("POST", "servicePrincipals", { appId }),
    deleteServicePrincipal: (id) => call("DELETE", `servicePrincipals/${id}`),
    assignAppRole: (input) => call("POST", `servicePrincipals/${input.resourceId}/appRoleAssignedTo`, input),
    removeAppRoleAssignment: async (id: string, resourceId?: string) =>
      call("DELETE", `servicePrincipals/${resourceId ?? (await resourceOf(id))}/appRoleAssignedTo/${id}`),
    applications: async () => (await call<{ value: never[] }>("GET", "applications")).value,
    servicePrincipals: async () => (await call<{ value: never[] }>("GET", "servicePrincipals")).value,
  };
}

function send<T>(agent: Agent, adminKey: string, method: string, url: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          Authorization: `Bearer ${adminKey}`,
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
