import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminRequest, type RawResponse, registerClient, startEntra, type TestEntra } from "../support/entra";

type Method = Parameters<typeof adminRequest>[1];
const unknownTenant = "22222222-0000-4000-8000-000000000000";

/**
 * Which route answers what: a path no route has, or a route asked with a method it does not take, is refused with
 * a 4xx in the shape of the service it belongs to (OAuth's for the token service, Graph's for the admin routes).
 */
describe("the local Entra ID's routes", () => {
  let entra: TestEntra;
  let appId: string;
  beforeAll(async () => {
    entra = await startEntra();
    appId = (await registerClient(entra)).appObjectId;
  });
  afterAll(() => entra.stop());

  const send = (method: Method, path: string, admin: boolean, headers: Record<string, string> = {}) =>
    adminRequest(entra, method, path.replace("{tenant}", entra.tenantId).replace("{app}", appId), {
      auth: admin ? undefined : null,
      headers,
    });
  const oauthError = (res: RawResponse) => [res.status, res.body.error, res.body.error_description];
  const graphError = (res: RawResponse) => {
    const error = res.body.error as { code?: string; message?: string } | undefined;
    return [res.status, error?.code, error?.message];
  };

  it.each<[Method, string]>([
    ["GET", "/"],
    ["GET", "/nothing/here"],
    ["POST", "/common/discovery/instance"],
    ["GET", "/{tenant}/oauth2/v2.0/token"],
    ["DELETE", "/{tenant}/oauth2/token"],
    ["POST", "/{tenant}/v2.0/.well-known/openid-configuration"],
    ["PUT", "/{tenant}/discovery/keys"],
    ["GET", "/{tenant}/v2.0/.well-known/openid-configuration/more"],
    ["POST", `/${unknownTenant}/kerberos`],
    ["GET", "/graph"],
  ])("answers %s %s with OAuth's 404 not_found", async (method, path) => {
    const res = await send(method, path, false);
    const shown = new URL(path.replace("{tenant}", entra.tenantId), "https://localhost").pathname;
    expect(oauthError(res)).toEqual([404, "not_found", `No route for ${method} ${shown}.`]);
  });

  it.each([
    `/${unknownTenant}/v2.0/.well-known/openid-configuration`,
    `/${unknownTenant}/.well-known/openid-configuration`,
    `/${unknownTenant}/discovery/v2.0/keys`,
    `/${unknownTenant}/discovery/keys`,
  ])("answers discovery for a tenant it does not have (%s) with AADSTS90002", async (path) => {
    const res = await send("GET", path, false);
    expect([res.status, res.body.error, res.body.error_codes]).toEqual([400, "invalid_tenant", [90002]]);
  });

  it("answers the Kerberos and userinfo endpoints on any method, as the service does", async () => {
    expect((await send("PUT", "/organizations/kerberos", false)).body.error).toBe("invalid_request");
    expect((await send("DELETE", "/{tenant}/kerberos", false)).status).toBe(400);
    expect(graphError(await send("PATCH", "/oidc/userinfo", false))).toEqual([
      401,
      "InvalidAuthenticationToken",
      "Access token is empty.",
    ]);
  });

  it.each<[Method, string]>([
    ["GET", "/graph/v1.0"],
    ["GET", "/graph/v1.0/groups"],
    ["PUT", "/graph/v1.0/applications"],
    ["POST", "/graph/v1.0/applications/{app}"],
    ["PATCH", "/graph/v1.0/applications"],
    ["GET", "/graph/v1.0/applications/{app}/owners/$ref"],
    ["DELETE", "/graph/v1.0/applications/{app}/owners/not-a-guid/$ref"],
    ["DELETE", "/graph/v1.0/applications/{app}/owners"],
    ["PATCH", "/graph/v1.0/servicePrincipals/x/appRoleAssignedTo/y"],
    ["GET", "/graph/v1.0/organization/x"],
  ])("answers %s %s with Graph's 404", async (method, path) => {
    const res = await send(method, path, true);
    const rest = path.replace("{app}", appId).replace(/^\/graph\/v1\.0\/?/, "");
    expect(graphError(res)).toEqual([404, "Request_ResourceNotFound", `No route for ${method} /graph/v1.0/${rest}.`]);
  });

  it("answers an unknown path under /_local/ with Graph's 404, and a wrong method on the faults with 405", async () => {
    expect(graphError(await send("PUT", "/_local/faults/x", true))).toEqual([
      404,
      "Request_ResourceNotFound",
      "No route for PUT /_local/faults/x.",
    ]);
    expect(graphError(await send("GET", "/_local/faults", true))).toEqual([
      405,
      "Request_BadRequest",
      "Use POST or DELETE on /_local/faults.",
    ]);
  });

  it("checks the caller headers before it looks for the route", async () => {
    const res = await send("GET", "/graph/v1.0/groups", true, { "X-Local-Caller-Object-Id": "not-a-guid" });
    expect(graphError(res)[0]).toBe(400);
    expect(graphError(res)[1]).toBe("BadRequest");
  });
});
