import { X509Certificate } from "node:crypto";
import type {
  ApplicationPatch,
  AppRole,
  KeyCredentialPatch,
  NewApplication,
  OptionalClaim,
  OptionalClaims,
} from "./directory";
import { DirectoryError } from "./directory";

/**
 * Checks for admin request bodies, at the edge: each either proves the body is
 * the Graph shape this server accepts or throws a 400 in Graph's error shape,
 * before anything in the directory changes. The limits are this server's
 * own, chosen well above what the rehearsal and real clients send.
 */

/** The deepest body this server's shapes need (optionalClaims.accessToken[].additionalProperties[]) is 4. */
export const maxDepth = 8;
const maxDisplayName = 256;
const maxList = 100;
const maxString = 1024;
const maxKey = 64 * 1024;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoDatePattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?(Z|[+-]\d\d:\d\d)$/;

export const isGuid = (value: unknown): value is string => typeof value === "string" && guidPattern.test(value);

type Body = Record<string, unknown>;

/** Graph's wording for a value of the wrong type or shape. */
const invalid = (property: string, resource: string) =>
  new DirectoryError(
    "Request_BadRequest",
    `Invalid value specified for property '${property}' of resource '${resource}'.`,
  );

/** Parses a JSON body as Graph does: not JSON, or nested too deep, is a 400 before any other check. */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new DirectoryError(
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  if (depthExceeds(value, maxDepth))
    throw new DirectoryError("BadRequest", `The request body is nested deeper than ${maxDepth} levels.`);
  return value;
}

/** Stops descending at the limit, so a hostile body cannot exhaust the stack. */
function depthExceeds(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (limit === 0) return true;
  return Object.values(value).some((v) => depthExceeds(v, limit - 1));
}

function assertObject(value: unknown, resource: string): asserts value is Body {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new DirectoryError("BadRequest", `The request body must be a JSON object describing a ${resource}.`);
}

/** A nested value that must be an object: Graph calls it an invalid value of its property. */
function assertNested(value: unknown, property: string, resource: string): asserts value is Body {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(property, resource);
}

/** Graph refuses properties it does not know. */
function assertKnownProperties(body: Body, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw new DirectoryError(
        "Request_BadRequest",
        `Property '${key.slice(0, 64)}' does not exist as a declared property or extension property.`,
      );
  }
}

function checkString(value: unknown, property: string, resource: string, max = maxString): string {
  if (typeof value !== "string" || value.length > max) throw invalid(property, resource);
  return value;
}

function checkGuid(value: unknown, property: string, resource: string): string {
  if (!isGuid(value)) throw invalid(property, resource);
  return value;
}

function checkStringList(value: unknown, property: string, resource: string): string[] {
  if (!Array.isArray(value) || value.length > maxList) throw invalid(property, resource);
  for (const item of value) checkString(item, property, resource);
  return value;
}

function checkDate(value: unknown, property: string, resource: string): string {
  if (typeof value !== "string" || !isoDatePattern.test(value) || Number.isNaN(Date.parse(value)))
    throw invalid(property, resource);
  return value;
}

const applicationProperties = ["displayName", "identifierUris", "appRoles", "api", "optionalClaims"] as const;
/** Base64 as Edm.Binary takes it: the standard alphabet, padded. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const maxOwners = 100;

function checkApplicationFields(body: Body, extra: readonly string[] = []): void {
  const r = "Application";
  assertKnownProperties(body, [...applicationProperties, ...extra]);
  if (body.displayName !== undefined) {
    const name = checkString(body.displayName, "displayName", r, maxDisplayName);
    if (!name.trim()) throw invalid("displayName", r);
  }
  if (body.identifierUris !== undefined) checkStringList(body.identifierUris, "identifierUris", r);
  if (body.appRoles !== undefined) checkAppRoles(body.appRoles);
  if (body.api !== undefined) checkApi(body.api);
  if (body.optionalClaims !== undefined) checkOptionalClaims(body.optionalClaims);
}

/** The body of POST /applications: owners come as `owners@odata.bind`, a list of directory object URLs. */
export type NewApplicationBody = Omit<NewApplication, "owners"> & { "owners@odata.bind"?: string[] };

/** POST /applications: displayName is required, as in Graph. */
export function assertNewApplication(body: unknown): asserts body is NewApplicationBody {
  assertObject(body, "application");
  if (body.displayName === undefined)
    throw new DirectoryError("Request_BadRequest", "Property 'displayName' is required.");
  checkApplicationFields(body, ["owners@odata.bind"]);
  const binds = body["owners@odata.bind"];
  if (binds !== undefined) {
    if (!Array.isArray(binds) || binds.length > maxOwners) throw invalid("owners", "Application");
    for (const bind of binds) if (ownerIdOf(bind) === undefined) throw invalid("owners", "Application");
  }
}

/**
 * The object id in a directory object reference, as the azuread provider writes them
 * (`{endpoint}/v1.0/{tenant}/directoryObjects/{id}`, application_resource.go) or Graph documents them
 * (`https://graph.microsoft.com/v1.0/directoryObjects/{id}`).
 */
export function ownerIdOf(reference: unknown): string | undefined {
  if (typeof reference !== "string" || reference.length > maxString || !URL.canParse(reference)) return undefined;
  const match = /\/directoryObjects\/([^/]+)$/.exec(new URL(reference).pathname);
  return isGuid(match?.[1]) ? match[1].toLowerCase() : undefined;
}

/** POST /applications/{id}/owners/$ref: `{"@odata.id": <directory object URL>}`; returns the owner's object id. */
export function ownerReference(body: unknown): string {
  assertObject(body, "directoryObject reference");
  assertKnownProperties(body, ["@odata.id"]);
  const id = ownerIdOf(body["@odata.id"]);
  if (id === undefined) throw invalid("@odata.id", "DirectoryObject");
  return id;
}

/** PATCH /applications/{id}: any subset of the fields POST takes, and the whole keyCredentials list. */
export function assertApplicationPatch(body: unknown): asserts body is ApplicationPatch {
  assertObject(body, "application");
  checkApplicationFields(body, ["keyCredentials"]);
  if (body.keyCredentials !== undefined) checkKeyCredentials(body.keyCredentials);
}

/**
 * `keyCredentials` as Graph's keyCredential resource has it
 * (https://learn.microsoft.com/graph/api/resources/keycredential): a certificate's `key` is base64, or null for a
 * credential the application already has; only certificates that verify (AsymmetricX509Cert, Verify) are modelled.
 */
function checkKeyCredentials(value: unknown): asserts value is KeyCredentialPatch[] {
  const r = "KeyCredential";
  if (!Array.isArray(value) || value.length > maxList) throw invalid("keyCredentials", "Application");
  for (const credential of value) {
    assertNested(credential, "keyCredentials", "Application");
    assertKnownProperties(credential, [
      "keyId",
      "key",
      "type",
      "usage",
      "displayName",
      "startDateTime",
      "endDateTime",
      "customKeyIdentifier",
    ]);
    const given = (k: string) => credential[k] !== undefined && credential[k] !== null;
    if (given("keyId")) checkGuid(credential.keyId, "keyId", r);
    if (given("key")) {
      const key = checkString(credential.key, "key", r, maxKey * 2);
      if (key === "" || !base64Pattern.test(key)) throw invalid("key", r);
    }
    if (given("type") && credential.type !== "AsymmetricX509Cert") throw invalid("type", r);
    if (given("usage") && credential.usage !== "Verify") throw invalid("usage", r);
    if (given("displayName")) checkString(credential.displayName, "displayName", r, maxDisplayName);
    if (given("customKeyIdentifier")) checkString(credential.customKeyIdentifier, "customKeyIdentifier", r);
    for (const date of ["startDateTime", "endDateTime"]) if (given(date)) checkDate(credential[date], date, r);
  }
}

function checkAppRoles(value: unknown): asserts value is AppRole[] {
  const r = "AppRole";
  if (!Array.isArray(value) || value.length > maxList) throw invalid("appRoles", "Application");
  const ids = new Set<string>();
  for (const role of value) {
    assertNested(role, "appRoles", "Application");
    assertKnownProperties(role, ["id", "value", "displayName", "description", "allowedMemberTypes", "isEnabled"]);
    ids.add(checkGuid(role.id, "id", r));
    checkString(role.value, "value", r, 249);
    if (role.displayName !== undefined) checkString(role.displayName, "displayName", r);
    if (role.description !== undefined) checkString(role.description, "description", r);
    const types = checkStringList(role.allowedMemberTypes, "allowedMemberTypes", r);
    if (types.length === 0 || types.some((t) => t !== "Application" && t !== "User"))
      throw invalid("allowedMemberTypes", r);
    if (typeof role.isEnabled !== "boolean") throw invalid("isEnabled", r);
  }
  if (ids.size !== value.length) throw new DirectoryError("Request_BadRequest", "Each app role must have a unique id.");
}

function checkApi(value: unknown): void {
  assertNested(value, "api", "Application");
  assertKnownProperties(value, ["requestedAccessTokenVersion"]);
  const v = value.requestedAccessTokenVersion;
  if (v !== undefined && v !== null && v !== 1 && v !== 2)
    throw invalid("requestedAccessTokenVersion", "ApiApplication");
}

function checkOptionalClaims(value: unknown): asserts value is OptionalClaims {
  assertNested(value, "optionalClaims", "Application");
  assertKnownProperties(value, ["accessToken", "idToken", "saml2Token"]);
  for (const list of Object.values(value)) {
    if (!Array.isArray(list) || list.length > maxList) throw invalid("optionalClaims", "Application");
    for (const claim of list) checkOptionalClaim(claim);
  }
}

function checkOptionalClaim(claim: unknown): asserts claim is OptionalClaim {
  const r = "OptionalClaim";
  assertNested(claim, "optionalClaims", "Application");
  assertKnownProperties(claim, ["name", "source", "essential", "additionalProperties"]);
  checkString(claim.name, "name", r, 128);
  if (claim.source !== undefined && claim.source !== null) checkString(claim.source, "source", r, 128);
  if (claim.essential !== undefined && typeof claim.essential !== "boolean") throw invalid("essential", r);
  if (claim.additionalProperties !== undefined) checkStringList(claim.additionalProperties, "additionalProperties", r);
}

/** POST /servicePrincipals. */
export function assertNewServicePrincipal(body: unknown): asserts body is { appId: string } {
  assertObject(body, "servicePrincipal");
  assertKnownProperties(body, ["appId"]);
  checkGuid(body.appId, "appId", "ServicePrincipal");
}

export interface NewAppRoleAssignment {
  principalId: string;
  resourceId: string;
  appRoleId: string;
}

/**
 * POST /servicePrincipals/{resource}/appRoleAssignedTo: the body names the
 * same resource as the path, as Graph requires.
 * https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto
 */
export function assertNewAppRoleAssignment(
  body: unknown,
  resourceFromPath: string,
): asserts body is NewAppRoleAssignment {
  const r = "AppRoleAssignment";
  assertObject(body, "appRoleAssignment");
  assertKnownProperties(body, ["principalId", "resourceId", "appRoleId"]);
  checkGuid(body.principalId, "principalId", r);
  const resourceId = checkGuid(body.resourceId, "resourceId", r);
  checkGuid(body.appRoleId, "appRoleId", r);
  if (resourceId.toLowerCase() !== resourceFromPath.toLowerCase())
    throw new DirectoryError(
      "Request_BadRequest",
      "resourceId in the body must match the service principal in the URL.",
    );
}

/**
 * A loaded state file holds only what the admin routes would have written: a
 * file edited by hand (or written by an older version that stored anything)
 * is refused at start instead of failing token requests with a 500. Returns
 * the first problem, or undefined.
 */
export function stateProblem(state: {
  applications: unknown[];
  servicePrincipals: unknown[];
  appRoleAssignments: unknown[];
}): string | undefined {
  const lists = [
    ["application", state.applications, applicationProblem],
    ["service principal", state.servicePrincipals, servicePrincipalProblem],
    ["app role assignment", state.appRoleAssignments, assignmentProblem],
  ] as const;
  for (const [name, list, check] of lists) {
    for (const [i, item] of list.entries()) {
      try {
        if (item === null || typeof item !== "object" || Array.isArray(item)) throw invalid(name, "DirectoryState");
        check(item as Body);
      } catch (err) {
        if (err instanceof DirectoryError) return `${name} ${i + 1}: ${err.message}`;
        throw err;
      }
    }
  }
  return undefined;
}

function applicationProblem(app: Body): void {
  const { displayName, identifierUris, appRoles, api, optionalClaims } = app;
  checkApplicationFields(
    Object.fromEntries(
      Object.entries({ displayName, identifierUris, appRoles, api, optionalClaims }).filter(([, v]) => v !== undefined),
    ),
  );
  const r = "Application";
  for (const property of ["id", "appId", "tenantId"]) checkGuid(app[property], property, r);
  checkDate(app.createdDateTime, "createdDateTime", r);
  if (app.owners !== undefined) {
    if (!Array.isArray(app.owners) || app.owners.length > maxOwners) throw invalid("owners", r);
    for (const owner of app.owners) checkGuid(owner, "owners", r);
  }
  if (!Array.isArray(app.keyCredentials)) throw invalid("keyCredentials", r);
  for (const credential of app.keyCredentials) {
    assertNested(credential, "keyCredentials", r);
    checkGuid(credential.keyId, "keyId", "KeyCredential");
    for (const date of ["startDateTime", "endDateTime", "createdDateTime"])
      checkDate(credential[date], date, "KeyCredential");
    // Parsed here once, so a key that is no certificate fails the start, not every token request.
    if (!parses(checkString(credential.key, "key", "KeyCredential", maxKey))) throw invalid("key", "KeyCredential");
  }
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

function servicePrincipalProblem(sp: Body): void {
  const r = "ServicePrincipal";
  for (const property of ["id", "appId", "tenantId"]) checkGuid(sp[property], property, r);
  checkDate(sp.createdDateTime, "createdDateTime", r);
}

function assignmentProblem(assignment: Body): void {
  for (const property of ["id", "appRoleId", "principalId", "resourceId"])
    checkGuid(assignment[property], property, "AppRoleAssignment");
}
