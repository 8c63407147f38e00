import { decodeJwt, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { Application, DirectoryState, ServicePrincipal } from "../../entra/directory";
import { expiresIn, issueAccessToken, lifetimeSeconds, type SigningKey, type TokenGrant } from "../../entra/token";
import { makeCertificate } from "../support/certificates";

const tenantId = "11111111-2222-4333-8444-555555555555";
const now = new Date("2026-03-01T12:00:00Z");
const iat = now.getTime() / 1000;
const role = (id: string, value: string, isEnabled = true) => ({
  id,
  value,
  isEnabled,
  allowedMemberTypes: ["Application"],
});
const principal = (id: string, appId: string): ServicePrincipal => ({
  id,
  appId,
  tenantId,
  displayName: id,
  servicePrincipalNames: [appId],
  createdDateTime: now.toISOString(),
});
const client = principal("c0000000-0000-4000-8000-000000000001", "c0000000-0000-4000-8000-0000000000a1");
const other = principal("c0000000-0000-4000-8000-000000000002", "c0000000-0000-4000-8000-0000000000a2");
const resource = principal("r0000000-0000-4000-8000-000000000001", "r0000000-0000-4000-8000-0000000000a1");
const elsewhere = principal("r0000000-0000-4000-8000-000000000002", "r0000000-0000-4000-8000-0000000000a2");
const api = (version: 1 | 2 | null, over: Partial<Application> = {}): Application => ({
  id: "a0000000-0000-4000-8000-000000000001",
  appId: resource.appId,
  tenantId,
  displayName: "api",
  identifierUris: ["api://orders"],
  appRoles: [
    role("aaaaaaaa-0000-4000-8000-000000000001", "Orders.Read"),
    role("aaaaaaaa-0000-4000-8000-000000000002", "Orders.Write"),
    role("AAAAAAAA-0000-4000-8000-000000000003", "Orders.Admin", false),
  ],
  api: { requestedAccessTokenVersion: version },
  keyCredentials: [],
  createdDateTime: now.toISOString(),
  ...over,
});
const assignment = (appRoleId: string, principalId = client.id, resourceId = resource.id) => ({
  id: `${appRoleId.slice(0, 8)}-${principalId.slice(-4)}-4000-8000-${resourceId.slice(-12)}`,
  appRoleId,
  principalId,
  resourceId,
  createdDateTime: now.toISOString(),
});

describe("access tokens the local Entra ID issues", () => {
  let signing: SigningKey;
  beforeAll(async () => {
    signing = { key: (await makeCertificate()).key, kid: "kid-1" };
  });
  const state = (assignments: DirectoryState["appRoleAssignments"]): DirectoryState => ({
    tenants: [{ id: tenantId, displayName: "t" }],
    applications: [],
    servicePrincipals: [client, other, resource, elsewhere],
    appRoleAssignments: assignments,
  });
  const issue = async (app: Application, assignments: DirectoryState["appRoleAssignments"] = []) => {
    const grant: TokenGrant = {
      state: state(assignments),
      tenantId,
      client,
      resourceApp: app,
      resource,
      requestedResource: "api://orders/",
      authorityHost: "https://login.example.test",
      now,
    };
    const response = await issueAccessToken(grant, signing);
    return { response, claims: decodeJwt(response.access_token), header: decodeProtectedHeader(response.access_token) };
  };

  it("issues only the enabled roles the client holds on this resource", async () => {
    const { claims } = await issue(api(2), [
      assignment("aaaaaaaa-0000-4000-8000-000000000001"),
      // A disabled role: Graph keeps the assignment, the token leaves the role out.
      assignment("aaaaaaaa-0000-4000-8000-000000000003"),
      // The same role id granted on another resource, and to another client: neither is this client's role here.
      assignment("aaaaaaaa-0000-4000-8000-000000000002", client.id, elsewhere.id),
      assignment("aaaaaaaa-0000-4000-8000-000000000002", other.id, resource.id),
      // A role id the API does not define.
      assignment("bbbbbbbb-0000-4000-8000-000000000009"),
    ]);
    expect(claims.roles).toEqual(["Orders.Read"]);
  });

  it("matches role ids without case, as Graph treats GUIDs", async () => {
    const { claims } = await issue(api(2), [
      assignment("AAAAAAAA-0000-4000-8000-000000000002"),
      assignment("aaaaaaaa-0000-4000-8000-000000000001"),
    ]);
    expect(claims.roles).toEqual(["Orders.Write", "Orders.Read"]);
  });

  it("leaves roles out when the client holds none on the resource", async () => {
    const { claims } = await issue(api(2), [assignment("aaaaaaaa-0000-4000-8000-000000000003")]);
    expect(claims).not.toHaveProperty("roles");
  });

  it("issues a v2.0 token when the resource asks for version 2: the API's client id as audience, azp and azpacr", async () => {
    const { claims, header, response } = await issue(api(2));
    expect(header).toEqual({ typ: "JWT", alg: "RS256", kid: "kid-1" });
    expect(claims).toMatchObject({
      aud: resource.appId,
      iss: `https://login.example.test/${tenantId}/v2.0`,
      azp: client.appId,
      azpacr: "2",
      ver: "2.0",
      oid: client.id,
      sub: client.id,
      tid: tenantId,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
    });
    expect(claims).not.toHaveProperty("appid");
    expect(claims).not.toHaveProperty("idtyp");
    expect(response).toEqual({
      token_type: "Bearer",
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: response.access_token,
    });
    expect(expiresIn).toBe(3599);
  });

  it.each([1, null] as const)(
    "issues a v1.0 token for version %s: the resource as asked, sts.windows.net, appid",
    async (v) => {
      const { claims, header } = await issue(api(v));
      expect(header).toEqual({ typ: "JWT", alg: "RS256", x5t: "kid-1", kid: "kid-1" });
      expect(claims).toMatchObject({
        aud: "api://orders/",
        iss: `https://sts.windows.net/${tenantId}/`,
        idp: `https://sts.windows.net/${tenantId}/`,
        appid: client.appId,
        appidacr: "2",
        ver: "1.0",
      });
      expect(claims).not.toHaveProperty("azp");
    },
  );

  it("carries the opaque claims in their usual shapes, different in every token", async () => {
    const first = (await issue(api(2))).claims;
    const second = (await issue(api(2))).claims;
    expect(first.aio).toMatch(/^[A-Za-z0-9_-]{48}$/);
    expect(first.rh).toMatch(/^0\.[A-Za-z0-9_-]{64}\.$/);
    expect(first.uti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.uti).not.toBe(first.uti);
  });

  it("adds idtyp only when the resource lists it among its access-token optional claims", async () => {
    const listed = api(2, { optionalClaims: { accessToken: [{ name: "idtyp" }], idToken: [], saml2Token: [] } });
    expect((await issue(listed)).claims.idtyp).toBe("app");
    const elsewhereListed = api(2, {
      optionalClaims: { accessToken: [{ name: "acct" }], idToken: [{ name: "idtyp" }] },
    });
    expect((await issue(elsewhereListed)).claims).not.toHaveProperty("idtyp");
  });
});
