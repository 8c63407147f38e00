import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "../common/httpServer";
import { isGuid } from "../common/safe";
import { type Application, type Caller, DirectoryError, sameId } from "./directory";
import type { Fault } from "./faults";
import { maxQueuedFaults } from "./faults";
import { graphError } from "./http";
import type { EntraContext } from "./routes";
import {
  assertApplicationPatch,
  assertNewApplication,
  assertNewAppRoleAssignment,
  assertNewServicePrincipal,
  ownerIdOf,
  ownerReference,
  parseJsonBody,
} from "./validate";

/** Admin bodies are small JSON documents; a certificate PEM is the largest thing in one. */
export const maxAdminBody = 256 * 1024;

const readJson = async (req: IncomingMessage) => parseJsonBody(await readBody(req, maxAdminBody));

/**
 * Graph-shaped admin routes for the home tenant. Every body is checked before
 * the directory is touched; a refused request changes nothing.
 */
export async function adminRoute(
  ctx: EntraContext,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
): Promise<void> {
  const a = ctx.admin;
  // An absent segment reads as the empty one; `route` below only matches when the ids it needs are non-empty.
  const [collection, id = "", sub, subId = "", ...extra] = parts;
  const m = req.method;
  const route = (c: string, wantsId: boolean, s?: string, wantsSubId?: boolean) =>
    collection === c &&
    Boolean(id) === wantsId &&
    sub === s &&
    Boolean(subId) === Boolean(wantsSubId) &&
    extra.length === 0;
  const caller = callerOf(req);
  if (route("organization", false) && m === "GET") return sendJson(res, 200, { value: a.state.tenants });

  if (route("applications", false) && m === "GET")
    return sendJson(res, 200, { value: a.state.applications.map(graphView) });
  if (route("applications", false) && m === "POST") {
    const body = await readJson(req);
    assertNewApplication(body);
    const { "owners@odata.bind": binds, ...fields } = body;
    const owners = (binds ?? []).map((b) => ownerIdOf(b) ?? "");
    return sendJson(res, 201, graphView(a.createApplication({ ...fields, owners })));
  }
  if (route("applications", true) && m === "GET")
    return sendJson(res, 200, graphView(a.state.applications.find((x) => sameId(x.id, id)) ?? notFound(id)));
  if (route("applications", true) && m === "PATCH") {
    const body = await readJson(req);
    assertApplicationPatch(body);
    a.updateApplication(id, body, caller);
    return sendJson(res, 204, undefined);
  }
  if (route("applications", true) && m === "DELETE") {
    a.deleteApplication(id, caller);
    return sendJson(res, 204, undefined);
  }
  // Owners as the azuread provider manages them (application_resource.go: ListOwners, AddOwners, RemoveOwners):
  // https://learn.microsoft.com/graph/api/application-post-owners, application-delete-owners, application-list-owners
  if (route("applications", true, "owners") && m === "GET") {
    const app = a.state.applications.find((x) => sameId(x.id, id)) ?? notFound(id);
    return sendJson(res, 200, {
      value: (app.owners ?? []).map((o) => ({ "@odata.type": "#microsoft.graph.directoryObject", id: o })),
    });
  }
  if (route("applications", true, "owners", true) && subId === "$ref" && m === "POST") {
    a.addOwner(id, ownerReference(await readJson(req)), caller);
    return sendJson(res, 204, undefined);
  }
  if (
    collection === "applications" &&
    id &&
    sub === "owners" &&
    isGuid(subId) &&
    extra.length === 1 &&
    extra[0] === "$ref" &&
    m === "DELETE"
  ) {
    a.removeOwner(id, subId, caller);
    return sendJson(res, 204, undefined);
  }

  if (route("servicePrincipals", false) && m === "GET") return sendJson(res, 200, { value: a.state.servicePrincipals });
  if (route("servicePrincipals", false) && m === "POST") {
    const body = await readJson(req);
    assertNewServicePrincipal(body);
    return sendJson(res, 201, a.createServicePrincipal(body.appId));
  }
  if (route("servicePrincipals", true) && m === "GET")
    return sendJson(res, 200, a.state.servicePrincipals.find((x) => sameId(x.id, id)) ?? notFound(id));
  if (route("servicePrincipals", true) && m === "DELETE") {
    a.deleteServicePrincipal(id);
    return sendJson(res, 204, undefined);
  }
  // Contract 3: assignments live under the resource, as the azuread provider calls them:
  // https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
  // https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto
  if (route("servicePrincipals", true, "appRoleAssignedTo") && m === "GET") {
    const resource = servicePrincipalOrThrow(ctx, id);
    return sendJson(res, 200, { value: a.state.appRoleAssignments.filter((x) => x.resourceId === resource) });
  }
  if (route("servicePrincipals", true, "appRoleAssignedTo") && m === "POST") {
    const body = await readJson(req);
    assertNewAppRoleAssignment(body, id);
    return sendJson(res, 201, a.assignAppRole(body));
  }
  if (route("servicePrincipals", true, "appRoleAssignedTo", true) && m === "DELETE") {
    a.removeAppRoleAssignment(subId, id);
    return sendJson(res, 204, undefined);
  }

  sendJson(
    res,
    404,
    graphError("Request_ResourceNotFound", `No route for ${m} /graph/v1.0/${parts.join("/").slice(0, 200)}.`),
  );
}

/**
 * An application as Graph returns it: a credential's `key` is null unless selected alone
 * (https://learn.microsoft.com/graph/api/resources/keycredential, key), and owners are a relationship of their own.
 */
function graphView(app: Application) {
  const { owners: _owners, ...rest } = app;
  return {
    ...rest,
    keyCredentials: app.keyCredentials.map(({ createdDateTime: _added, ...k }) => ({ ...k, key: null })),
  };
}

/**
 * The caller of an admin request. The admin key stands for a caller with Application.ReadWrite.All; a client that
 * acts as an identity holding less says so with `X-Local-Caller-Object-Id` and `X-Local-Caller-Roles` (its
 * application permissions, comma-separated), headers of this server only: Graph reads both from the access token.
 */
function callerOf(req: IncomingMessage): Caller | undefined {
  const objectId = req.headers["x-local-caller-object-id"];
  const roles = req.headers["x-local-caller-roles"];
  if (objectId === undefined && roles === undefined) return undefined;
  if (typeof objectId !== "string" || !isGuid(objectId) || typeof roles !== "string")
    throw new DirectoryError(
      "BadRequest",
      "X-Local-Caller-Object-Id must be a GUID and X-Local-Caller-Roles a comma-separated list, both given or neither.",
    );
  const held = roles.split(",").map((r) => r.trim());
  const all = held.includes("Application.ReadWrite.All") || held.includes("Directory.ReadWrite.All");
  return { objectId, ownedByOnly: !all && held.includes("Application.ReadWrite.OwnedBy") };
}

function servicePrincipalOrThrow(ctx: EntraContext, id: string): string {
  return ctx.admin.state.servicePrincipals.find((x) => sameId(x.id, id))?.id ?? notFound(id);
}

function notFound(id: string): never {
  throw new DirectoryError("Request_ResourceNotFound", `Resource '${id.slice(0, 64)}' does not exist.`, 404);
}

/** `POST /_local/faults {"kind", "count"?, "retryAfterSeconds"?}`: queue faults for the next token requests. */
export async function faultRoute(ctx: EntraContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === "DELETE") {
    ctx.faults.clear();
    return sendJson(res, 204, undefined);
  }
  if (req.method !== "POST")
    throw new DirectoryError("Request_BadRequest", "Use POST or DELETE on /_local/faults.", 405);
  const body = await readJson(req);
  const fault = checkFault(body);
  if (!ctx.faults.inject(fault.fault, fault.count))
    throw new DirectoryError("Request_BadRequest", `At most ${maxQueuedFaults} faults may wait at once.`);
  sendJson(res, 204, undefined);
}

function checkFault(body: unknown): { fault: Fault; count: number } {
  const bad = (what: string) => new DirectoryError("Request_BadRequest", what);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw bad("The body must be a JSON object.");
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (!["kind", "count", "retryAfterSeconds"].includes(key))
      throw bad(`Property '${key.slice(0, 64)}' does not exist on a fault.`);
  const count = b.count ?? 1;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > maxQueuedFaults)
    throw bad(`count must be a whole number from 1 to ${maxQueuedFaults}.`);
  const retryAfterSeconds = b.retryAfterSeconds ?? 1;
  // Retry-After is delta-seconds (RFC 9110 section 10.2.3): a whole number, so a header can never be broken by it.
  if (
    typeof retryAfterSeconds !== "number" ||
    !Number.isInteger(retryAfterSeconds) ||
    retryAfterSeconds < 0 ||
    retryAfterSeconds > 86400
  )
    throw bad("retryAfterSeconds must be a whole number from 0 to 86400.");
  if (b.kind === "hang") return { fault: { kind: "hang" }, count };
  if (b.kind === "throttle" || b.kind === "unavailable") return { fault: { kind: b.kind, retryAfterSeconds }, count };
  throw bad("kind must be throttle, unavailable or hang.");
}
