import { describe, expect, it } from "vitest";
import {
  assertApplicationPatch,
  assertNewApplication,
  assertNewAppRoleAssignment,
  assertNewServicePrincipal,
  maxDepth,
  parseJsonBody,
  stateProblem,
} from "../../entra/validate";
import { sharedCertificate } from "../support/certificates";
import { loadedState } from "./loadedState";
import { invalid, refusal } from "./refusal";

const id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const id2 = "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const role = (over: Record<string, unknown> = {}) => ({
  id,
  value: "Data.Read",
  allowedMemberTypes: ["Application"],
  isEnabled: true,
  ...over,
});

describe("admin bodies are checked at the edge, in Graph's error shape", () => {
  it("parses JSON, an empty body as {}, and refuses what is not JSON or nested deeper than the limit", () => {
    expect(parseJsonBody("")).toEqual({});
    expect(parseJsonBody('{"a":[1]}')).toEqual({ a: [1] });
    expect(refusal(() => parseJsonBody("{"))?.[0]).toBe("BadRequest");
    const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    expect(parseJsonBody(nested(maxDepth))).toBeDefined();
    expect(refusal(() => parseJsonBody(nested(maxDepth + 1)))).toEqual([
      "BadRequest",
      "The request body is nested deeper than 8 levels.",
    ]);
    expect(parseJsonBody('{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}')).toBeDefined();
    expect(refusal(() => parseJsonBody('{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}}'))?.[0]).toBe("BadRequest");
  });

  it("takes a new application with a name and the fields Graph knows", () => {
    const body = {
      displayName: "app",
      identifierUris: ["api://x"],
      appRoles: [role(), role({ id: id2, value: "Data.Write", allowedMemberTypes: ["User", "Application"] })],
      api: { requestedAccessTokenVersion: 2 },
      optionalClaims: { accessToken: [{ name: "idtyp", source: null, essential: false, additionalProperties: [] }] },
    };
    expect(refusal(() => assertNewApplication(body))).toBeUndefined();
    expect(refusal(() => assertApplicationPatch({}))).toBeUndefined();
    for (const v of [1, null, undefined])
      expect(refusal(() => assertApplicationPatch({ api: { requestedAccessTokenVersion: v } }))).toBeUndefined();
  });

  it.each<[string, unknown, [string, string]]>([
    ["no object", [], ["BadRequest", "The request body must be a JSON object describing a application."]],
    ["null", null, ["BadRequest", "The request body must be a JSON object describing a application."]],
    ["no name", { identifierUris: [] }, ["Request_BadRequest", "Property 'displayName' is required."]],
    ["a blank name", { displayName: "  " }, invalid("displayName", "Application")],
    ["a name over 256 characters", { displayName: "a".repeat(257) }, invalid("displayName", "Application")],
    [
      "an unknown property",
      { displayName: "a", signInAudience: "x" },
      ["Request_BadRequest", "Property 'signInAudience' does not exist as a declared property or extension property."],
    ],
    [
      "identifier URIs that are no list",
      { displayName: "a", identifierUris: "api://x" },
      invalid("identifierUris", "Application"),
    ],
    [
      "an identifier URI that is no string",
      { displayName: "a", identifierUris: [1] },
      invalid("identifierUris", "Application"),
    ],
    [
      "101 identifier URIs",
      { displayName: "a", identifierUris: Array(101).fill("api://x") },
      invalid("identifierUris", "Application"),
    ],
    [
      "an identifier URI over 1024 characters",
      { displayName: "a", identifierUris: ["a".repeat(1025)] },
      invalid("identifierUris", "Application"),
    ],
    ["app roles that are no list", { displayName: "a", appRoles: {} }, invalid("appRoles", "Application")],
    ["101 app roles", { displayName: "a", appRoles: Array(101).fill(role()) }, invalid("appRoles", "Application")],
    ["an app role that is no object", { displayName: "a", appRoles: ["r"] }, invalid("appRoles", "Application")],
    ["an app role id that is no GUID", { displayName: "a", appRoles: [role({ id: "r1" })] }, invalid("id", "AppRole")],
    [
      "an app role value over 249 characters",
      { displayName: "a", appRoles: [role({ value: "a".repeat(250) })] },
      invalid("value", "AppRole"),
    ],
    [
      "an app role display name that is no string",
      { displayName: "a", appRoles: [role({ displayName: 1 })] },
      invalid("displayName", "AppRole"),
    ],
    [
      "an app role description that is no string",
      { displayName: "a", appRoles: [role({ description: 1 })] },
      invalid("description", "AppRole"),
    ],
    [
      "an app role for no member type",
      { displayName: "a", appRoles: [role({ allowedMemberTypes: [] })] },
      invalid("allowedMemberTypes", "AppRole"),
    ],
    [
      "an app role for devices",
      { displayName: "a", appRoles: [role({ allowedMemberTypes: ["Application", "Device"] })] },
      invalid("allowedMemberTypes", "AppRole"),
    ],
    [
      "an app role enabled as text",
      { displayName: "a", appRoles: [role({ isEnabled: "true" })] },
      invalid("isEnabled", "AppRole"),
    ],
    [
      "two app roles with one id",
      { displayName: "a", appRoles: [role(), role({ value: "Data.Write" })] },
      ["Request_BadRequest", "Each app role must have a unique id."],
    ],
    ["an api that is no object", { displayName: "a", api: [] }, invalid("api", "Application")],
    [
      "token version 3",
      { displayName: "a", api: { requestedAccessTokenVersion: 3 } },
      invalid("requestedAccessTokenVersion", "ApiApplication"),
    ],
    [
      "optional claims that are no object",
      { displayName: "a", optionalClaims: null },
      invalid("optionalClaims", "Application"),
    ],
    [
      "optional claims that are no list",
      { displayName: "a", optionalClaims: { accessToken: {} } },
      invalid("optionalClaims", "Application"),
    ],
    [
      "101 optional claims",
      { displayName: "a", optionalClaims: { idToken: Array(101).fill({ name: "x" }) } },
      invalid("optionalClaims", "Application"),
    ],
    [
      "an optional claim with no name",
      { displayName: "a", optionalClaims: { accessToken: [{}] } },
      invalid("name", "OptionalClaim"),
    ],
    [
      "an optional claim name over 128",
      { displayName: "a", optionalClaims: { accessToken: [{ name: "a".repeat(129) }] } },
      invalid("name", "OptionalClaim"),
    ],
    [
      "an optional claim source that is no string",
      { displayName: "a", optionalClaims: { accessToken: [{ name: "a", source: 1 }] } },
      invalid("source", "OptionalClaim"),
    ],
    [
      "an optional claim essential as text",
      { displayName: "a", optionalClaims: { accessToken: [{ name: "a", essential: "no" }] } },
      invalid("essential", "OptionalClaim"),
    ],
    [
      "additional properties that are no list",
      { displayName: "a", optionalClaims: { accessToken: [{ name: "a", additionalProperties: "x" }] } },
      invalid("additionalProperties", "OptionalClaim"),
    ],
  ])("refuses an application with %s", (_what, body, expected) => {
    expect(refusal(() => assertNewApplication(body))).toEqual(expected);
  });

  it("takes a key credential in a keyCredentials PATCH with its optional fields, and refuses each field of the wrong shape", async () => {
    // As the azuread provider sends it: base64 of the PEM text (terraform-provider-azuread credentials.go).
    const key = Buffer.from((await sharedCertificate()).certificatePem).toString("base64");
    const assertNewKeyCredential = (credential: unknown) => assertApplicationPatch({ keyCredentials: [credential] });
    const good = {
      key,
      keyId: id,
      displayName: "cert",
      startDateTime: "2026-01-01T00:00:00Z",
      endDateTime: "2026-12-31T00:00:00.1234567+01:00",
      type: "AsymmetricX509Cert",
      usage: "Verify",
    };
    expect(refusal(() => assertNewKeyCredential(good))).toBeUndefined();
    expect(refusal(() => assertNewKeyCredential({ key }))).toBeUndefined();
    const r = "KeyCredential";
    expect(refusal(() => assertNewKeyCredential({ ...good, key: 1 }))).toEqual(invalid("key", r));
    expect(refusal(() => assertNewKeyCredential({ ...good, key: "a".repeat(2 * 64 * 1024 + 1) }))).toEqual(
      invalid("key", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, keyId: "k" }))).toEqual(invalid("keyId", r));
    expect(refusal(() => assertNewKeyCredential({ ...good, displayName: "a".repeat(257) }))).toEqual(
      invalid("displayName", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, startDateTime: "2026-01-01" }))).toEqual(
      invalid("startDateTime", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, startDateTime: "x2026-01-01T00:00:00Z" }))).toEqual(
      invalid("startDateTime", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, endDateTime: "2026-02-30T00:00:00Zx" }))).toEqual(
      invalid("endDateTime", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, endDateTime: "2026-13-45T99:00:00Z" }))).toEqual(
      invalid("endDateTime", r),
    );
    expect(refusal(() => assertNewKeyCredential({ ...good, endDateTime: 5 }))).toEqual(invalid("endDateTime", r));
    expect(refusal(() => assertNewKeyCredential({ ...good, type: "Symmetric" }))).toEqual(invalid("type", r));
    expect(refusal(() => assertNewKeyCredential({ ...good, usage: "Sign" }))).toEqual(invalid("usage", r));
    expect(refusal(() => assertNewKeyCredential({ ...good, secretText: "x" }))?.[1]).toMatch(/^Property 'secretText'/);
  });

  it("takes a service principal for a GUID appId only", () => {
    expect(refusal(() => assertNewServicePrincipal({ appId: id }))).toBeUndefined();
    expect(refusal(() => assertNewServicePrincipal({ appId: "../x" }))).toEqual(invalid("appId", "ServicePrincipal"));
    expect(refusal(() => assertNewServicePrincipal({ appId: id, x: 1 }))?.[1]).toMatch(/^Property 'x'/);
  });

  it("takes an app role assignment whose body names the resource of its URL, in any case", () => {
    const body = { principalId: id, resourceId: id2, appRoleId: id };
    expect(refusal(() => assertNewAppRoleAssignment(body, id2.toUpperCase()))).toBeUndefined();
    expect(refusal(() => assertNewAppRoleAssignment(body, id))).toEqual([
      "Request_BadRequest",
      "resourceId in the body must match the service principal in the URL.",
    ]);
    const r = "AppRoleAssignment";
    expect(refusal(() => assertNewAppRoleAssignment({ ...body, principalId: "p" }, id2))).toEqual(
      invalid("principalId", r),
    );
    expect(refusal(() => assertNewAppRoleAssignment({ ...body, resourceId: "r" }, id2))).toEqual(
      invalid("resourceId", r),
    );
    expect(refusal(() => assertNewAppRoleAssignment({ ...body, appRoleId: "a" }, id2))).toEqual(
      invalid("appRoleId", r),
    );
  });
});

describe("a loaded state file holds only what the admin routes write", () => {
  const created = "2026-01-01T00:00:00Z";
  const state = loadedState;

  it("passes a state the routes wrote", async () => {
    expect(stateProblem(await state())).toBeUndefined();
    expect(stateProblem({ applications: [], servicePrincipals: [], appRoleAssignments: [] })).toBeUndefined();
  });

  it.each<[string, Parameters<typeof state>[0], string]>([
    [
      "an application id that is no GUID",
      { app: { id: "x" } },
      "application 1: Invalid value specified for property 'id' of resource 'Application'.",
    ],
    [
      "an application without appId",
      { app: { appId: undefined } },
      "application 1: Invalid value specified for property 'appId' of resource 'Application'.",
    ],
    [
      "an application without tenant",
      { app: { tenantId: 7 } },
      "application 1: Invalid value specified for property 'tenantId' of resource 'Application'.",
    ],
    [
      "an application without a creation date",
      { app: { createdDateTime: "yesterday" } },
      "application 1: Invalid value specified for property 'createdDateTime' of resource 'Application'.",
    ],
    [
      "credentials that are no list",
      { app: { keyCredentials: {} } },
      "application 1: Invalid value specified for property 'keyCredentials' of resource 'Application'.",
    ],
    [
      "a credential that is no object",
      { app: { keyCredentials: [1] } },
      "application 1: Invalid value specified for property 'keyCredentials' of resource 'Application'.",
    ],
    [
      "a credential key that is no certificate",
      {
        app: {
          keyCredentials: [
            { keyId: id, startDateTime: created, endDateTime: created, createdDateTime: created, key: "nope" },
          ],
        },
      },
      "application 1: Invalid value specified for property 'key' of resource 'KeyCredential'.",
    ],
    [
      "a credential without keyId",
      {
        app: { keyCredentials: [{ startDateTime: created, endDateTime: created, createdDateTime: created, key: "k" }] },
      },
      "application 1: Invalid value specified for property 'keyId' of resource 'KeyCredential'.",
    ],
    [
      "a credential without an end date",
      { app: { keyCredentials: [{ keyId: id, startDateTime: created, createdDateTime: created, key: "k" }] } },
      "application 1: Invalid value specified for property 'endDateTime' of resource 'KeyCredential'.",
    ],
    [
      "a credential without a creation date",
      { app: { keyCredentials: [{ keyId: id, startDateTime: created, endDateTime: created, key: "k" }] } },
      "application 1: Invalid value specified for property 'createdDateTime' of resource 'KeyCredential'.",
    ],
    [
      "an application with a blank name",
      { app: { displayName: " " } },
      "application 1: Invalid value specified for property 'displayName' of resource 'Application'.",
    ],
    [
      "a service principal that is no object",
      { sp: [] },
      "service principal 1: Invalid value specified for property 'service principal' of resource 'DirectoryState'.",
    ],
    [
      "a service principal without appId",
      { sp: { id, tenantId: id, createdDateTime: created } },
      "service principal 1: Invalid value specified for property 'appId' of resource 'ServicePrincipal'.",
    ],
    [
      "a service principal without a creation date",
      { sp: { id, appId: id, tenantId: id } },
      "service principal 1: Invalid value specified for property 'createdDateTime' of resource 'ServicePrincipal'.",
    ],
    [
      "an assignment that is null",
      { assignment: null },
      "app role assignment 1: Invalid value specified for property 'app role assignment' of resource 'DirectoryState'.",
    ],
    [
      "an assignment without a resource",
      { assignment: { id, appRoleId: id, principalId: id } },
      "app role assignment 1: Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.",
    ],
  ])("names %s", async (_what, over, problem) => {
    expect(stateProblem(await state(over))).toBe(problem);
  });

  it("counts from 1 in its list, and names the first problem", async () => {
    const s = await state();
    const sp = { id, appId: id, tenantId: id, createdDateTime: created };
    s.servicePrincipals = [sp, { ...sp, id: "x" }];
    expect(stateProblem(s)).toBe(
      "service principal 2: Invalid value specified for property 'id' of resource 'ServicePrincipal'.",
    );
  });
});
