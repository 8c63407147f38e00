import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { get } from "node:https";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestJson } from "../../common/https";
import {
  accessTokenOf,
  adminRequest,
  assertion,
  clientCredentialsForm,
  goodTokenRequest,
  postForm,
  type RegisteredClient,
  registerClient,
  startEntra,
  type TestEntra,
  tokenEndpoint,
} from "../support/entra";

const getJson = (entra: TestEntra, path: string) =>
  new Promise<{ status: number; body: Record<string, unknown> & { keys?: Record<string, unknown>[] } }>(
    (resolve, reject) => {
      get(`${entra.authorityHost}${path}`, { ca: entra.caPem }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      }).on("error", reject);
    },
  );

const claimsOf = (token: string) => {
  const [, payload] = token.split(".");
  assert(payload, "a JWT has a payload segment");
  return JSON.parse(Buffer.from(payload, "base64url").toString());
};

/** Fidelity: what real clients and APIs notice about Entra ID, reproduced. */
describe("tokens look like Entra ID's", () => {
  let entra: TestEntra;
  // A fixed clock (whole seconds, near the real time so the test certificates are valid): iat, nbf and exp follow it.
  const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 30_000);
  beforeAll(async () => {
    entra = await startEntra({ now: () => at });
  });
  afterAll(() => entra.stop());

  const tokenFor = async (client: RegisteredClient) => {
    const signed = await assertion(client, tokenEndpoint(entra), {
      claims: { iat: at.getTime() / 1000, nbf: at.getTime() / 1000, exp: at.getTime() / 1000 + 600 },
    });
    return postForm(entra, `/${entra.tenantId}/oauth2/v2.0/token`, clientCredentialsForm(client, signed));
  };

  it("answers expires_in and ext_expires_in 3599 for a one-hour token stamped with the server's clock", async () => {
    const client = await registerClient(entra, { version: 2 });
    const res = await tokenFor(client);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    const claims = claimsOf(accessTokenOf(res));
    const iat = at.getTime() / 1000;
    expect([claims.iat, claims.nbf, claims.exp]).toEqual([iat, iat, iat + 3600]);
  });

  it("signs v2.0 tokens with kid and no x5t, and v1.0 tokens with both", async () => {
    const v2 = await tokenFor(await registerClient(entra, { version: 2 }));
    const v1 = await tokenFor(await registerClient(entra, { version: 1 }));
    const kid = (await getJson(entra, `/${entra.tenantId}/discovery/v2.0/keys`)).body.keys?.[0]?.kid;
    expect(decodeProtectedHeader(accessTokenOf(v2))).toEqual({ typ: "JWT", alg: "RS256", kid });
    expect(decodeProtectedHeader(accessTokenOf(v1))).toEqual({ typ: "JWT", alg: "RS256", kid, x5t: kid });
  });

  it("adds the opaque aio, rh and uti claims, different in every token", async () => {
    const client = await registerClient(entra);
    const [a, b] = [claimsOf(accessTokenOf(await tokenFor(client))), claimsOf(accessTokenOf(await tokenFor(client)))];
    for (const name of ["aio", "rh", "uti"]) {
      expect(a[name]).toEqual(expect.any(String));
      expect(a[name]).not.toBe(b[name]);
    }
    expect(a.uti).toHaveLength(22);
    expect(a.rh).toMatch(/^0\..+\.$/);
  });

  it("leaves idtyp out unless the API's registration asks for it as an access-token optional claim", async () => {
    const client = await registerClient(entra, { version: 2 });
    expect(claimsOf(accessTokenOf(await tokenFor(client))).idtyp).toBeUndefined();
    const patch = {
      optionalClaims: { accessToken: [{ name: "idtyp", source: null, essential: false, additionalProperties: [] }] },
    };
    const api = entra.admin.state.applications.find((a) => a.appId === client.apiClientId);
    const res = await adminRequest(entra, "PATCH", `/graph/v1.0/applications/${api?.id}`, { json: patch });
    expect(res.status).toBe(204);
    expect(claimsOf(accessTokenOf(await tokenFor(client))).idtyp).toBe("app");
  });

  it("grants several roles when several are assigned, and none when none are", async () => {
    const several = await registerClient(entra, { roles: ["A.Read", "B.Write", "C.All"], grant: ["A.Read", "C.All"] });
    expect(claimsOf(accessTokenOf(await tokenFor(several))).roles.sort()).toEqual(["A.Read", "C.All"]);
    const none = await registerClient(entra, { roles: ["A.Read"] });
    expect(claimsOf(accessTokenOf(await tokenFor(none)))).not.toHaveProperty("roles");
  });
});

describe("discovery looks like Entra ID's", () => {
  let entra: TestEntra;
  let client: RegisteredClient;
  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
  });
  afterAll(() => entra.stop());

  it.each(["common", "organizations"])(
    "serves /%s/ v2.0 discovery and keys with {tenantid} in the issuer",
    async (t) => {
      const { status, body } = await getJson(entra, `/${t}/v2.0/.well-known/openid-configuration`);
      expect(status).toBe(200);
      expect(body.issuer).toBe(`${entra.authorityHost}/{tenantid}/v2.0`);
      expect(body.token_endpoint).toBe(`${entra.authorityHost}/${t}/oauth2/v2.0/token`);
      expect(body.tenant_region_scope).toBeNull();
      const keys = await getJson(entra, new URL(String(body.jwks_uri)).pathname);
      expect(keys.body.keys?.[0]).toMatchObject({ kty: "RSA", issuer: `${entra.authorityHost}/{tenantid}/v2.0` });
    },
  );

  it("fills in a tenant's v2.0 document: region code, port-less cloud instance", async () => {
    const { body } = await getJson(entra, `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(body.issuer).toBe(`${entra.authorityHost}/${entra.tenantId}/v2.0`);
    expect(body.tenant_region_scope).toMatch(/^[A-Z]{2,4}$/);
    expect(body.cloud_instance_name).toBe("localhost");
  });

  it("has a real tenant's v2.0 field set, in its order", async () => {
    const { body } = await getJson(entra, `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    // The keys of login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration, as recorded from the service.
    expect(Object.keys(body)).toEqual([
      "token_endpoint",
      "token_endpoint_auth_methods_supported",
      "jwks_uri",
      "response_modes_supported",
      "subject_types_supported",
      "id_token_signing_alg_values_supported",
      "response_types_supported",
      "scopes_supported",
      "issuer",
      "request_uri_parameter_supported",
      "userinfo_endpoint",
      "authorization_endpoint",
      "device_authorization_endpoint",
      "http_logout_supported",
      "frontchannel_logout_supported",
      "end_session_endpoint",
      "claims_supported",
      "kerberos_endpoint",
      "tenant_region_scope",
      "cloud_instance_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "rbac_url",
    ]);
    expect(body.kerberos_endpoint).toBe(`${entra.authorityHost}/${entra.tenantId}/kerberos`);
  });

  it("answers its userinfo_endpoint as Graph answers a token that is not a user's Graph token: 401 with Graph's shape", async () => {
    const { body } = await getJson(entra, `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    const userinfo = String(body.userinfo_endpoint);
    expect(new URL(userinfo).host).toBe(body.msgraph_host);
    const token = (
      await postForm(
        entra,
        `/${entra.tenantId}/oauth2/v2.0/token`,
        clientCredentialsForm(
          client,
          await assertion(client, `${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`),
        ),
      )
    ).body.access_token;
    const anonymous = await requestJson<Record<string, { code: string; message: string }>>(userinfo, {
      ca: entra.caPem,
    });
    const appOnly = await requestJson<Record<string, { code: string; message: string }>>(userinfo, {
      ca: entra.caPem,
      headers: { Authorization: `Bearer ${token}` },
    });
    for (const res of [anonymous, appOnly]) {
      expect(res.status).toBe(401);
      expect(res.body?.error?.code).toBe("InvalidAuthenticationToken");
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm=""/);
    }
    expect(anonymous.body?.error?.message).toBe("Access token is empty.");
    expect(appOnly.body?.error?.message).toMatch(/Invalid audience/);
    const kerberos = await requestJson<Record<string, string>>(String(body.kerberos_endpoint), { ca: entra.caPem });
    expect([kerberos.status, kerberos.body?.error]).toEqual([400, "invalid_request"]);
  });

  it("serves the v1.0 metadata and keys, with the sts.windows.net issuer", async () => {
    const { status, body } = await getJson(entra, `/${entra.tenantId}/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: `https://sts.windows.net/${entra.tenantId}/`,
      token_endpoint: `${entra.authorityHost}/${entra.tenantId}/oauth2/token`,
      jwks_uri: `${entra.authorityHost}/common/discovery/keys`,
    });
    const common = await getJson(entra, "/common/.well-known/openid-configuration");
    expect(common.body.issuer).toBe("https://sts.windows.net/{tenantid}/");
    for (const path of ["/common/discovery/keys", `/${entra.tenantId}/discovery/keys`]) {
      const keys = await getJson(entra, path);
      expect(keys.status).toBe(200);
      expect(keys.body.keys?.[0]).toMatchObject({ kty: "RSA", use: "sig" });
      expect(keys.body.keys?.[0]).not.toHaveProperty("issuer");
    }
  });

  it("issues a token at the v1.0 endpoint for a `resource`, answered as the v1.0 endpoint does", async () => {
    const endpoint = `${entra.authorityHost}/${entra.tenantId}/oauth2/token`;
    const form = clientCredentialsForm(client, await assertion(client, endpoint));
    const { scope, ...rest } = form;
    assert(scope, "the client-credentials form carries a scope");
    const resource = scope.replace(/\/\.default$/, "");
    const res = await postForm(entra, `/${entra.tenantId}/oauth2/token`, { ...rest, resource });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", expires_in: "3599", ext_expires_in: "3599", resource });
    expect(Number(res.body.expires_on) - Number(res.body.not_before)).toBe(3600);
    const jwks = (await getJson(entra, "/common/discovery/keys")).body;
    const { payload } = await jwtVerify(accessTokenOf(res), createLocalJWKSet(jwks as never), {
      audience: client.apiClientId,
    });
    expect(payload.roles).toEqual(["Data.Read"]);
    const missing = await postForm(entra, `/${entra.tenantId}/oauth2/token`, rest);
    expect(missing.body).toMatchObject({ error: "invalid_request", error_codes: [900144] });
    expect(missing.body.error_description).toContain("'resource'");
  });

  it("builds tenant_discovery_endpoint from its own host and port, not from the port-less parameter MSAL Python sends", async () => {
    const param = encodeURIComponent(`https://localhost/${entra.tenantId}/oauth2/v2.0/authorize`);
    const { body } = await getJson(entra, `/common/discovery/instance?api-version=1.1&authorization_endpoint=${param}`);
    expect(body.tenant_discovery_endpoint).toBe(
      `${entra.authorityHost}/${entra.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    const hostile = encodeURIComponent("https://evil.example:1/a b<c>/oauth2/v2.0/authorize");
    const other = await getJson(entra, `/common/discovery/instance?authorization_endpoint=${hostile}`);
    expect(other.body.tenant_discovery_endpoint).toBe(
      `${entra.authorityHost}/common/v2.0/.well-known/openid-configuration`,
    );
  });

  it("treats an upper-case tenant GUID in the path as the same tenant", async () => {
    const upper = entra.tenantId.toUpperCase();
    const { status, body } = await getJson(entra, `/${upper}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body.issuer).toBe(`${entra.authorityHost}/${entra.tenantId}/v2.0`);
    const signed = await assertion(client, `${entra.authorityHost}/${upper}/oauth2/v2.0/token`);
    const res = await postForm(entra, `/${upper}/oauth2/v2.0/token`, clientCredentialsForm(client, signed));
    expect(res.status).toBe(200);
    expect(claimsOf(accessTokenOf(res)).tid).toBe(entra.tenantId);
  });

  it("answers an unknown tenant's discovery with 400 invalid_tenant AADSTS90002", async () => {
    const { status, body } = await getJson(entra, `/${randomUUID()}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });
});

describe("role assignments under the resource, as the azuread provider calls Graph", () => {
  it("grants with POST .../appRoleAssignedTo, lists, revokes with DELETE .../appRoleAssignedTo/{id}", async () => {
    const entra = await startEntra();
    try {
      const client = await registerClient(entra);
      const resource = client.apiServicePrincipalId;
      const roleId = entra.admin.state.applications.find((a) => a.appId === client.apiClientId)?.appRoles[1]?.id;
      assert(roleId, "the API has a second role");
      const base = `/graph/v1.0/servicePrincipals/${resource}/appRoleAssignedTo`;
      const created = await adminRequest(entra, "POST", base, {
        json: { principalId: client.servicePrincipalId, resourceId: resource, appRoleId: roleId },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        principalId: client.servicePrincipalId,
        resourceId: resource,
        appRoleId: roleId,
      });
      expect(claimsOf(accessTokenOf(await goodTokenRequest(entra, client))).roles).toEqual(["Data.Write"]);
      const listed = await adminRequest(entra, "GET", base);
      expect(listed.body.value?.map((a) => a.id)).toEqual([created.body.id]);

      const old = await adminRequest(
        entra,
        "DELETE",
        `/graph/v1.0/servicePrincipals/any/appRoleAssignments/${created.body.id}`,
      );
      expect(old.status).toBe(404);
      const elsewhere = await adminRequest(
        entra,
        "DELETE",
        `/graph/v1.0/servicePrincipals/${client.servicePrincipalId}/appRoleAssignedTo/${created.body.id}`,
      );
      expect(elsewhere.status).toBe(404);
      expect((await adminRequest(entra, "DELETE", `${base}/${created.body.id}`)).status).toBe(204);
      expect(claimsOf(accessTokenOf(await goodTokenRequest(entra, client)))).not.toHaveProperty("roles");
    } finally {
      await entra.stop();
    }
  });
});
