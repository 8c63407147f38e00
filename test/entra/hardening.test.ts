import { createSign, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminRequest,
  assertion,
  clientCredentialsForm,
  goodTokenRequest,
  graphErrorOf,
  postForm,
  type RawResponse,
  type RegisteredClient,
  rawRequest,
  registerClient,
  startEntra,
  type TestEntra,
  tokenEndpoint,
} from "../support/entra";
import { expectHolds } from "../support/secrets";

/**
 * Hardening: every bad request gets a clean 4xx in the real
 * service's shape, the state file stays byte for byte as it was, and the
 * server still issues a token afterwards.
 */
describe("a refused request changes nothing and the server keeps serving", () => {
  let entra: TestEntra;
  let client: RegisteredClient;
  let apiId: string;
  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    apiId = client.apiObjectId ?? "";
  });
  afterAll(() => entra.stop());

  /** Sends a bad request; checks its answer, the unchanged state file and a good token request after it. */
  async function refused(send: () => Promise<RawResponse>): Promise<RawResponse> {
    const before = entra.stateText();
    const res = await send();
    expect(entra.stateText()).toBe(before);
    const good = await goodTokenRequest(entra, client);
    expect(good.status).toBe(200);
    return res;
  }

  const expectGraphError = (res: RawResponse, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(graphErrorOf(res).innerError).toMatchObject({ "request-id": expect.any(String) });
  };

  describe("the admin key", () => {
    it.each([
      ["no Authorization header", null, "Access token is empty."],
      ["a wrong key", "Bearer not-the-key", "Access token validation failure."],
      ["the key without the Bearer scheme", "KEY", "Access token validation failure."],
    ])("answers 401 InvalidAuthenticationToken to a Graph call with %s", async (_, auth, message) => {
      const header = auth === "KEY" ? entra.adminKey : auth;
      const res = await refused(() =>
        adminRequest(entra, "POST", "/graph/v1.0/applications", { json: { displayName: "intruder" }, auth: header }),
      );
      expectGraphError(res, 401, "InvalidAuthenticationToken");
      expect(graphErrorOf(res).message).toBe(message);
      expectHolds(JSON.stringify(res.body), entra.adminKey, "the answer holds the admin key", false);
    });

    it("answers 401 to reads, deletes and fault injection without the key", async () => {
      const requests: [method: "GET" | "POST" | "DELETE", path: string][] = [
        ["GET", "/graph/v1.0/applications"],
        ["DELETE", `/graph/v1.0/applications/${apiId}`],
        ["POST", "/_local/faults"],
        ["GET", "/_local/anything"],
      ];
      for (const [method, path] of requests) {
        const res = await refused(() => adminRequest(entra, method, path, { json: { kind: "hang" }, auth: null }));
        expectGraphError(res, 401, "InvalidAuthenticationToken");
      }
    });

    it("answers an unknown admin path with 404 in Graph's shape once the key is right", async () => {
      expectGraphError(
        await refused(() => adminRequest(entra, "GET", "/_local/nothing")),
        404,
        "Request_ResourceNotFound",
      );
      expectGraphError(
        await refused(() => adminRequest(entra, "GET", "/graph/v1.0/groups")),
        404,
        "Request_ResourceNotFound",
      );
    });
  });

  describe("admin bodies are checked against the Graph shapes before anything changes", () => {
    const nested = `${"[".repeat(6000)}${"]".repeat(6000)}`;
    it.each([
      ["malformed JSON", { raw: "{displayName:" }, "BadRequest"],
      ["null", { raw: "null" }, "BadRequest"],
      ["an array", { raw: "[]" }, "BadRequest"],
      ["a 12 KB nested array", { raw: nested }, "BadRequest"],
      ["a form body", { raw: "displayName=x", contentType: "application/x-www-form-urlencoded" }, "BadRequest"],
      ["a number for displayName", { json: { displayName: 42 } }, "Request_BadRequest"],
      ["an empty displayName", { json: { displayName: "  " } }, "Request_BadRequest"],
      ["no displayName", { json: { identifierUris: [] } }, "Request_BadRequest"],
      ["an overlong displayName", { json: { displayName: "x".repeat(257) } }, "Request_BadRequest"],
      ["an unknown property", { json: { displayName: "x", signInAudience: "AzureADMyOrg" } }, "Request_BadRequest"],
      ["a string for appRoles", { json: { displayName: "x", appRoles: "x" } }, "Request_BadRequest"],
      ["an app role without an id", { json: { displayName: "x", appRoles: [{ value: "R" }] } }, "Request_BadRequest"],
      [
        "token version 3",
        { json: { displayName: "x", api: { requestedAccessTokenVersion: 3 } } },
        "Request_BadRequest",
      ],
      ["optional claims as a string", { json: { displayName: "x", optionalClaims: "idtyp" } }, "Request_BadRequest"],
      ["a body over 256 KiB", { json: { displayName: "x".repeat(300_000) } }, "BadRequest"],
    ])("refuses POST /applications with %s: 400", async (_, options, code) => {
      expectGraphError(
        await refused(() => adminRequest(entra, "POST", "/graph/v1.0/applications", options)),
        400,
        code,
      );
    });

    it.each([
      ["appRoles as a string", { appRoles: "x" }],
      ["appRoles holding null", { appRoles: [null] }],
      ["a role with a bad member type", { appRoles: [role({ allowedMemberTypes: ["Robot"] })] }],
      ["two roles with one id", { appRoles: twinRoles() }],
      ["a role whose isEnabled is a string", { appRoles: [role({ isEnabled: "yes" })] }],
      ["identifierUris as a string", { identifierUris: "api://x" }],
      ["a claim without a name", { optionalClaims: { accessToken: [{ essential: false }] } }],
    ])("refuses PATCH /applications/{id} with %s, so the API keeps issuing tokens", async (_, patch) => {
      const res = await refused(() =>
        adminRequest(entra, "PATCH", `/graph/v1.0/applications/${apiId}`, { json: patch }),
      );
      expectGraphError(res, 400, "Request_BadRequest");
    });

    const patchKeys = (keyCredentials: unknown) =>
      adminRequest(entra, "PATCH", `/graph/v1.0/applications/${client.appObjectId}`, { json: { keyCredentials } });
    const fresh = () => ({ keyId: randomUUID(), key: Buffer.from(client.cert.certificatePem).toString("base64") });

    it.each([
      ["keyCredentials that are no list", () => "x"],
      ["a credential that is null", () => [null]],
      ["a bad start date", () => [{ ...fresh(), startDateTime: "yesterday" }]],
      ["an impossible end date", () => [{ ...fresh(), endDateTime: "2026-13-45T00:00:00Z" }]],
      ["a number for key", () => [{ ...fresh(), key: 5 }]],
      ["a key that is no base64", () => [{ ...fresh(), key: "-----BEGIN CERTIFICATE-----" }]],
      ["a keyId that is no GUID", () => [{ ...fresh(), keyId: "k1" }]],
      ["a type other than AsymmetricX509Cert", () => [{ ...fresh(), type: "Symmetric" }]],
      ["a usage other than Verify", () => [{ ...fresh(), usage: "Sign" }]],
      ["a property Graph does not know", () => [{ ...fresh(), secretText: "x" }]],
      ["a key that is no certificate", () => [{ ...fresh(), key: Buffer.from("no certificate").toString("base64") }]],
      ["a credential without a key that the app does not have", () => [{ keyId: randomUUID(), key: null }]],
      [
        "two credentials with one keyId",
        () => [
          { ...fresh(), keyId: client.appObjectId },
          { ...fresh(), keyId: client.appObjectId },
        ],
      ],
    ])("refuses PATCH keyCredentials with %s: 400, the app's credentials unchanged", async (_, keyCredentials) => {
      const before = entra.admin.state.applications.find((a) => a.id === client.appObjectId)?.keyCredentials;
      const res = await refused(() => patchKeys(keyCredentials()));
      expect(res.status).toBe(400);
      expect(graphErrorOf(res).code).toMatch(/^(Request_BadRequest|KeyCredentialsInvalidValue)$/);
      expect(entra.admin.state.applications.find((a) => a.id === client.appObjectId)?.keyCredentials).toEqual(before);
    });

    it("applies nothing of a PATCH whose keyCredentials are refused, not even its other fields", async () => {
      const res = await refused(() =>
        adminRequest(entra, "PATCH", `/graph/v1.0/applications/${client.appObjectId}`, {
          json: { displayName: "half-applied", keyCredentials: [{ ...fresh(), endDateTime: "2999-01-01T00:00:00Z" }] },
        }),
      );
      expectGraphError(res, 400, "KeyCredentialsInvalidEndDate");
      expect(entra.admin.state.applications.find((a) => a.id === client.appObjectId)?.displayName).not.toBe(
        "half-applied",
      );
    });

    it("refuses a service principal for an appId that is no GUID, and a second one for the same app", async () => {
      const bad = await refused(() =>
        adminRequest(entra, "POST", "/graph/v1.0/servicePrincipals", { json: { appId: "../x" } }),
      );
      expectGraphError(bad, 400, "Request_BadRequest");
      const twice = await refused(() =>
        adminRequest(entra, "POST", "/graph/v1.0/servicePrincipals", { json: { appId: client.clientId } }),
      );
      expectGraphError(twice, 409, "Request_MultipleObjectsWithSameKeyValue");
    });

    it("answers a DELETE of something that is not there with 404 and deletes nothing", async () => {
      const res = await refused(() =>
        adminRequest(entra, "DELETE", `/graph/v1.0/applications/${client.appObjectId}/owners/${randomUUID()}/$ref`),
      );
      expectGraphError(res, 404, "Request_ResourceNotFound");
      expect(entra.admin.state.applications.find((a) => a.id === client.appObjectId)?.keyCredentials).toHaveLength(1);
    });

    it("has no add-one route for key credentials: Graph takes them only through PATCH keyCredentials", async () => {
      const res = await refused(() =>
        adminRequest(entra, "POST", `/graph/v1.0/applications/${client.appObjectId}/keyCredentials`, {
          json: { key: client.cert.certificatePem },
        }),
      );
      expectGraphError(res, 404, "Request_ResourceNotFound");
    });

    it("refuses an assignment whose body names another resource than its URL", async () => {
      // Everything else in the body is right (a role the API in the URL exposes, to a real principal), so the only
      // reason to refuse it is the resource mismatch: a random role id would be refused as unknown anyway.
      const api = entra.admin.state.applications.find((a) => a.id === apiId);
      const writeRole = api?.appRoles.find((r) => r.value === "Data.Write")?.id;
      expect(writeRole, "the API exposes Data.Write, not granted yet").toMatch(/^[0-9a-f-]{36}$/);
      const res = await refused(() =>
        adminRequest(entra, "POST", `/graph/v1.0/servicePrincipals/${client.apiServicePrincipalId}/appRoleAssignedTo`, {
          json: {
            principalId: client.servicePrincipalId,
            resourceId: client.servicePrincipalId,
            appRoleId: writeRole,
          },
        }),
      );
      expectGraphError(res, 400, "Request_BadRequest");
      expect(graphErrorOf(res).message).toBe("resourceId in the body must match the service principal in the URL.");
    });

    it("refuses a role that is already granted", async () => {
      const roleId = entra.admin.state.applications.find((a) => a.id === apiId)?.appRoles[0]?.id;
      expect(roleId, "the API has a role").toMatch(/^[0-9a-f-]{36}$/);
      const res = await refused(() =>
        adminRequest(entra, "POST", `/graph/v1.0/servicePrincipals/${client.apiServicePrincipalId}/appRoleAssignedTo`, {
          json: { principalId: client.servicePrincipalId, resourceId: client.apiServicePrincipalId, appRoleId: roleId },
        }),
      );
      expectGraphError(res, 400, "Request_BadRequest");
      expect(graphErrorOf(res).message).toBe("Permission being assigned already exists on the object");
    });
  });

  describe("fault injection takes only what it can hold", () => {
    const count = "count must be a whole number from 1 to 1000.";
    const retryAfter = "retryAfterSeconds must be a whole number from 0 to 86400.";
    // Each case names the check that refuses it: a body refused by another check (or by a crash turned into a 400)
    // fails here, even though its status and code would be the same.
    it.each([
      ["a negative count", { kind: "throttle", count: -5 }, count],
      ["a string count", { kind: "throttle", count: "abc" }, count],
      ["a billion faults", { kind: "throttle", count: 1_000_000_000 }, count],
      ["a fractional count", { kind: "throttle", count: 1.5 }, count],
      ["CR/LF in retryAfterSeconds", { kind: "throttle", retryAfterSeconds: "1\r\nX-Injected: yes" }, retryAfter],
      ["a negative retryAfterSeconds", { kind: "unavailable", retryAfterSeconds: -1 }, retryAfter],
      ["an unknown kind", { kind: "flood" }, "kind must be throttle, unavailable or hang."],
      ["an unknown property", { kind: "hang", after: 3 }, "Property 'after' does not exist on a fault."],
      ["null", null, "The body must be a JSON object."],
      ["an array", [{ kind: "hang" }], "The body must be a JSON object."],
    ])("refuses %s with 400 and queues nothing", async (_, body, message) => {
      const res = await refused(() =>
        adminRequest(entra, "POST", "/_local/faults", body === null ? { raw: "null" } : { json: body }),
      );
      expectGraphError(res, 400, "Request_BadRequest");
      expect(graphErrorOf(res).message).toBe(message);
    });

    it("holds at most 1000 waiting faults, and DELETE clears them", async () => {
      expect(
        (await adminRequest(entra, "POST", "/_local/faults", { json: { kind: "throttle", count: 1000 } })).status,
      ).toBe(204);
      const over = await adminRequest(entra, "POST", "/_local/faults", { json: { kind: "throttle", count: 1 } });
      expectGraphError(over, 400, "Request_BadRequest");
      expect((await adminRequest(entra, "DELETE", "/_local/faults")).status).toBe(204);
      expect((await goodTokenRequest(entra, client)).status).toBe(200);
      expectGraphError(await adminRequest(entra, "GET", "/_local/faults"), 405, "Request_BadRequest");
    });
  });

  describe("token requests with any problem get an AADSTS error, never a 500", () => {
    const path = () => `/${entra.tenantId}/oauth2/v2.0/token`;

    it("answers a body over 1 MiB with 400 invalid_request", async () => {
      const res = await refused(() => postForm(entra, path(), { client_id: "x", padding: "x".repeat((1 << 20) + 10) }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", error_codes: [900144] });
    });

    it.each([
      ["CR/LF in the body's client-request-id", "client-request-id=a%0D%0ASet-Cookie:%20x"],
      ["non-Latin-1 in the body's client-request-id", `client-request-id=${encodeURIComponent("€✓")}`],
    ])("answers %s with a fresh correlation id", async (_, extra) => {
      const form = new URLSearchParams(clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))));
      const body = `${form.toString()}&${extra}`;
      const res = await rawRequest(
        entra,
        `POST ${path()} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded`,
        body,
      );
      expect(res.status).toBe(200);
      expect(res.text).not.toContain("Set-Cookie");
    });

    it("answers a non-Latin-1 client-request-id header without echoing it", async () => {
      const before = entra.stateText();
      const res = await rawRequest(
        entra,
        `POST ${path()} HTTP/1.1\r\nHost: localhost\r\nclient-request-id: €€€\r\nContent-Type: application/x-www-form-urlencoded`,
        "grant_type=client_credentials",
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_request", error_codes: [900144] });
      expect(entra.stateText()).toBe(before);
      expect((await goodTokenRequest(entra, client)).status).toBe(200);
    });

    it("echoes a GUID client-request-id as the correlation id", async () => {
      const id = randomUUID();
      const form = { ...clientCredentialsForm(client, "x.y.z"), "client-request-id": id };
      const res = await refused(() => postForm(entra, path(), form));
      expect(res.headers["client-request-id"]).toBe(id);
      expect(res.body.correlation_id).toBe(id);
    });

    it.each([
      ["null", "null"],
      ["an array", "[]"],
      ["a number", "42"],
      ["not JSON", "{claims"],
    ])("answers a validly signed assertion whose payload is %s with 400 AADSTS50027", async (_, payload) => {
      const signed = await signRaw(client, payload);
      const res = await refused(() => postForm(entra, path(), clientCredentialsForm(client, signed)));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: "invalid_request", error_codes: [50027] });
    });

    it("answers an assertion with exp beyond any date with 401 AADSTS700024", async () => {
      const signed = await assertion(client, tokenEndpoint(entra), { claims: { exp: 1e300 } });
      const res = await refused(() => postForm(entra, path(), clientCredentialsForm(client, signed)));
      expect(res.body).toMatchObject({ error: "invalid_client", error_codes: [700024] });
    });

    it("answers an overlong thumbprint with 401 AADSTS700027 and quotes at most 64 bytes of it", async () => {
      const signed = await assertion(client, tokenEndpoint(entra), {
        x5t: "none",
        header: { x5t: Buffer.alloc(4096, 7).toString("base64url") },
      });
      const res = await refused(() => postForm(entra, path(), clientCredentialsForm(client, signed)));
      expect(res.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
      expect(res.body.error_description).toContain(`'${"07".repeat(64)}'`);
    });

    it.each(["http://[", "//x:99999/", "//x:99999/oauth2/v2.0/token"])(
      "answers a request target that is no URL (%s) with 400 invalid_request",
      async (target) => {
        const before = entra.stateText();
        const res = await rawRequest(entra, `GET ${target} HTTP/1.1\r\nHost: localhost`);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.text)).toMatchObject({ error: "invalid_request", error_codes: [90100] });
        expect(entra.stateText()).toBe(before);
        expect((await goodTokenRequest(entra, client)).status).toBe(200);
      },
    );

    it.each(["//x:99999/graph/v1.0/organization", "http://[/_local/faults"])(
      "answers an admin request target that is no URL (%s) with 400 in Graph's shape",
      async (target) => {
        const before = entra.stateText();
        const auth = `Authorization: Bearer ${entra.adminKey}`;
        const res = await rawRequest(entra, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${auth}`);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.text).error).toMatchObject({ code: "BadRequest", innerError: expect.any(Object) });
        expect(entra.stateText()).toBe(before);
        expect((await goodTokenRequest(entra, client)).status).toBe(200);
      },
    );

    it("quotes at most 128 characters of a value it refuses, so a secret pasted into scope is never echoed whole", async () => {
      const pasted = await assertion(client, tokenEndpoint(entra));
      const form = { ...clientCredentialsForm(client, pasted), scope: pasted };
      const res = await refused(() => postForm(entra, path(), form));
      expect(res.body).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
      expect(res.body.error_description).toContain(`${pasted.slice(0, 128)}...`);
      expectHolds(
        String(res.body.error_description),
        pasted.slice(128, 200),
        "the error quotes the pasted value",
        false,
      );
    });

    it("answers an unknown path with 404 and an unknown tenant's token endpoint with 400 AADSTS90002", async () => {
      expect((await refused(() => postForm(entra, "/nowhere", {}))).status).toBe(404);
      const res = await refused(() => postForm(entra, `/${"x".repeat(500)}/oauth2/v2.0/token`, {}));
      expect(res.body).toMatchObject({ error: "invalid_request", error_codes: [90002] });
      expect(res.body.error_description?.length).toBeLessThan(600);
    });
  });
});

/** A JWS over an arbitrary payload, signed by the client's real key with the right thumbprint. */
async function signRaw(client: RegisteredClient, payload: string): Promise<string> {
  const valid = await assertion(client, "unused");
  const header = valid.split(".")[0];
  const body = Buffer.from(payload).toString("base64url");
  const signature = createSign("RSA-SHA256").update(`${header}.${body}`).sign(client.cert.key).toString("base64url");
  return `${header}.${body}.${signature}`;
}

/** Two roles with different values that share one id. */
function twinRoles() {
  const first = role({ value: "A" });
  return [first, { ...role({ value: "B" }), id: first.id }];
}

function role(over: Record<string, unknown>) {
  return { id: randomUUID(), value: "Role", allowedMemberTypes: ["Application"], isEnabled: true, ...over };
}
