import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "../common/httpServer";
import { dispatch, type Route, route } from "../common/routeTable";
import { isGuid } from "../common/safe";
import type { EntraContext } from "./context";
import { type Application, type Caller, DirectoryError, sameId } from "./directory";
import type { Fault } from "./faults";
import { maxQueuedFaults } from "./faults";
import { graphError } from "./http";
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

/** An admin request as the tables' handlers take it. */
export interface LocalRequest {
  ctx: EntraContext;
  req: IncomingMessage;
  res: ServerResponse;
}

/** A Graph request also has its caller. */
interface AdminRequest extends LocalRequest {
  caller: Caller | undefined;
}

/**
 * Graph-shaped admin routes for the home tenant, under `/graph/v1.0/`. Every body is checked before the directory
 * is touched; a refused request changes nothing.
 */
const adminTable: Route<AdminRequest>[] = [
  route("GET", "organization", ({ ctx, res }) => sendJson(res, 200, { value: ctx.admin.state.tenants })),

  route("GET", "applications", ({ ctx, res }) =>
    sendJson(res, 200, { value: ctx.admin.state.applications.map(graphView) }),
  ),
  route("POST", "applications", async ({ ctx, req, res }) => {
    const body = await readJson(req);
    assertNewApplication(body);
    const { "owners@odata.bind": binds, ...fields } = body;
    const owners = (binds ?? []).map((b) => ownerIdOf(b) ?? "");
    sendJson(res, 201, graphView(ctx.admin.createApplication({ ...fields, owners })));
  }),
  route("GET", "applications/:id", ({ ctx, res }, { id }) =>
    sendJson(res, 200, graphView(ctx.admin.state.applications.find((x) => sameId(x.id, id)) ?? notFound(id))),
  ),
  route("PATCH", "applications/:id", async ({ ctx, req, res, caller }, { id }) => {
    const body = await readJson(req);
    assertApplicationPatch(body);
    ctx.admin.updateApplication(id, body, caller);
    sendJson(res, 204, undefined);
  }),
  route("DELETE", "applications/:id", ({ ctx, res, caller }, { id }) => {
    ctx.admin.deleteApplication(id, caller);
    sendJson(res, 204, undefined);
  }),
  // Owners as the azuread provider manages them (application_resource.go: ListOwners, AddOwners, RemoveOwners):
  // https://learn.microsoft.com/graph/api/application-post-owners, application-delete-owners, application-list-owners
  route("GET", "applications/:id/owners", ({ ctx, res }, { id }) => {
    const app = ctx.admin.state.applications.find((x) => sameId(x.id, id)) ?? notFound(id);
    sendJson(res, 200, {
      value: (app.owners ?? []).map((o) => ({ "@odata.type": "#microsoft.graph.directoryObject", id: o })),
    });
  }),
  route("POST", "applications/:id/owners/$ref", async ({ ctx, req, res, caller }, { id }) => {
    ctx.admin.addOwner(id, ownerReference(await readJson(req)), caller);
    sendJson(res, 204, undefined);
  }),
  route(
    "DELETE",
    "applications/:id/owners/:ownerId/$ref",
    ({ ctx, res, caller }, { id, ownerId }) => {
      ctx.admin.removeOwner(id, ownerId, caller);
      sendJson(res, 204, undefined);
    },
    (_, { ownerId }) => isGuid(ownerId),
  ),

  route("GET", "servicePrincipals", ({ ctx, res }) => sendJson(res, 200, { value: ctx.admin.state.servicePrincipals })),
  route("POST", "servicePrincipals", async ({ ctx, req, res }) => {
    const body = await readJson(req);
    assertNewServicePrincipal(body);
    sendJson(res, 201, ctx.admin.createServicePrincipal(body.appId));
  }),
  route("GET", "servicePrincipals/:id", ({ ctx, res }, { id }) =>
    sendJson(res, 200, ctx.admin.state.servicePrincipals.find((x) => sameId(x.id, id)) ?? notFound(id)),
  ),
  route("DELETE", "servicePrincipals/:id", ({ ctx, res }, { id }) => {
    ctx.admin.deleteServicePrincipal(id);
    sendJson(res, 204, undefined);
  }),
  // Assignments live under the resource, as the azuread provider calls them:
  // https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
  // https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignedto
  route("GET", "servicePrincipals/:id/appRoleAssignedTo", ({ ctx, res }, { id }) => {
    const resource = servicePrincipalOrThrow(ctx, id);
    sendJson(res, 200, { value: ctx.admin.state.appRoleAssignments.filter((x) => x.resourceId === resource) });
  }),
  route("POST", "servicePrincipals/:id/appRoleAssignedTo", async ({ ctx, req, res }, { id }) => {
    const body = await readJson(req);
    assertNewAppRoleAssignment(body, id);
    sendJson(res, 201, ctx.admin.assignAppRole(body));
  }),
  route("DELETE", "servicePrincipals/:id/appRoleAssignedTo/:assignmentId", ({ ctx, res }, { id, assignmentId }) => {
    ctx.admin.removeAppRoleAssignment(assignmentId, id);
    sendJson(res, 204, undefined);
  }),
];

/**
 * A request under `/graph/v1.0/`, `parts` the path's segments after it. The caller headers are checked before the
 * route is looked up, so a malformed pair is refused on any path; an unknown path or method is Graph's 404.
 */
export async function adminRoute(
  ctx: EntraContext,
  req: IncomingMessage,
  res: ServerResponse,
  parts: string[],
): Promise<void> {
  const request = { ctx, req, res, caller: callerOf(req) };
  if (await dispatch(adminTable, request, req.method, parts)) return;
  sendJson(
    res,
    404,
    graphError("Request_ResourceNotFound", `No route for ${req.method} /graph/v1.0/${parts.join("/").slice(0, 200)}.`),
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

/**
 * The server's own admin routes: `POST /_local/faults {"kind", "count"?, "retryAfterSeconds"?}` queues faults for
 * the next token requests, `DELETE /_local/faults` drops them; any other method is refused with 405.
 */
export const localTable: Route<LocalRequest>[] = [
  route("POST", "_local/faults", async ({ ctx, req, res }) => {
    const fault = checkFault(await readJson(req));
    if (!ctx.faults.inject(fault.fault, fault.count))
      throw new DirectoryError("Request_BadRequest", `At most ${maxQueuedFaults} faults may wait at once.`);
    sendJson(res, 204, undefined);
  }),
  route("DELETE", "_local/faults", ({ ctx, res }) => {
    ctx.faults.clear();
    sendJson(res, 204, undefined);
  }),
  route("*", "_local/faults", () => {
    throw new DirectoryError("Request_BadRequest", "Use POST or DELETE on /_local/faults.", 405);
  }),
];

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
