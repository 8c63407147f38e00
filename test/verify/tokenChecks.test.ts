import { createPublicKey, type KeyObject } from "node:crypto";
import { exportJWK, type JSONWebKeySet, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientInputs } from "../../verify/inputs";
import { checkToken, fetchJwks, missingRoles } from "../../verify/tokenChecks";
import { makeCertificate } from "../support/certificates";
import { startEntra, type TestEntra } from "../support/entra";

const tenantId = "11111111-2222-4333-8444-555555555555";
const clientId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const apiClientId = "99999999-8888-4777-8666-555555555555";
const host = "https://login.example.test";
const now = new Date("2026-03-01T12:00:00Z");
const seconds = now.getTime() / 1000;

const inputs: ClientInputs = {
  source: "outputs",
  tenantId,
  clientId,
  authorityHost: host,
  scope: "api://orders/.default",
  expectedRoles: ["Orders.Read"],
  apiClientId,
  certificatePem: "",
  privateKeyPem: "",
};

const v2 = {
  ver: "2.0",
  iss: `${host}/${tenantId}/v2.0`,
  tid: tenantId,
  aud: apiClientId,
  azp: clientId,
  azpacr: "2",
  roles: ["Orders.Read"],
  iat: seconds - 60,
  exp: seconds + 3600,
};
const v1 = {
  ver: "1.0",
  iss: `https://sts.windows.net/${tenantId}/`,
  tid: tenantId,
  aud: "api://orders",
  appid: clientId,
  appidacr: "2",
  roles: ["Orders.Read"],
  iat: seconds - 60,
  exp: seconds + 3600,
};

describe("checkToken: a token checked as the API that receives it should", () => {
  let signer: KeyObject;
  let stranger: KeyObject;
  let jwks: JSONWebKeySet;
  beforeAll(async () => {
    signer = (await makeCertificate()).key;
    stranger = (await makeCertificate()).key;
    jwks = { keys: [{ ...(await exportJWK(createPublicKey(signer))), kid: "k1", alg: "RS256", use: "sig" }] };
  });
  const sign = (claims: Record<string, unknown>, key = signer, alg = "RS256") =>
    new SignJWT(claims).setProtectedHeader({ alg, kid: "k1", typ: "JWT" }).sign(key);
  const failures = async (claims: Record<string, unknown>, key?: KeyObject, with_: Partial<ClientInputs> = {}) =>
    (await checkToken(await sign(claims, key), { ...inputs, ...with_ }, jwks, now))
      .filter((c) => !c.ok)
      .map((c) => [c.name, c.detail]);

  it("passes a v2.0 token from a certificate client, naming each check and what it found", async () => {
    const checks = await checkToken(
      await sign({ ...v2, roles: ["Orders.Read", 7, "Orders.Write"] }),
      inputs,
      jwks,
      now,
    );
    expect(checks.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ["signature", true, "RS256, key k1 from the authority's JWKS"],
      ["issuer (v2.0)", true, `${host}/${tenantId}/v2.0`],
      ["tenant (tid)", true, tenantId],
      ["audience", true, apiClientId],
      ["client (azp)", true, clientId],
      ["credential (azpacr)", true, "2: certificate"],
      ["expiry", true, "expires in 60 min"],
      // A role claim that is no string is no role.
      ["roles", true, "Orders.Read, Orders.Write"],
    ]);
  });

  it("lists every missing role and every role the token has, and says when no role is expected", async () => {
    expect(await failures({ ...v2, roles: ["A", "B"] }, undefined, { expectedRoles: ["Orders.Read", "X"] })).toEqual([
      ["roles", "missing Orders.Read, X (has A, B): grant them with an app role assignment and admin consent"],
    ]);
    const none = await checkToken(await sign({ ...v2, roles: undefined }), { ...inputs, expectedRoles: [] }, jwks, now);
    expect(none.at(-1)).toEqual({ name: "roles", ok: true, detail: "none expected" });
  });

  it("refuses a token a published key signed with another algorithm than RS256 (Entra's JWKS keys name none)", async () => {
    const { alg: _alg, ...key } = jwks.keys[0] ?? {};
    const token = await sign(v2, signer, "PS256");
    const checks = await checkToken(token, inputs, { keys: [key] }, now);
    expect(checks[0]).toEqual({
      name: "signature",
      ok: false,
      detail: "does not verify against the authority's JWKS (ERR_JOSE_ALG_NOT_ALLOWED)",
    });
  });

  it("accepts a v1.0 audience without the trailing slash of an identifier URI that has one", async () => {
    expect(await failures(v1, undefined, { scope: "api://orders//.default" })).toEqual([]);
    expect(await failures({ ...v1, aud: "api://orders/" }, undefined, { scope: "api://orders//.default" })).toEqual([]);
    expect(await failures({ ...v1, aud: "api:/orders/" }, undefined, { scope: "api://orders//.default" })).toEqual([
      ["audience", "api:/orders/, expected api://orders/"],
    ]);
  });

  it("passes the v1.0 forms: sts.windows.net issuer, the identifier URI as audience, appid and appidacr", async () => {
    expect(await failures(v1)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, [string, string][]]>([
    [
      "a token from a client secret (azpacr 1)",
      { ...v2, azpacr: "1" },
      [["credential (azpacr)", "1: expected 2, a certificate (1 is a client secret)"]],
    ],
    [
      "a v1.0 token from a client secret (appidacr 1)",
      { ...v1, appidacr: "1" },
      [["credential (appidacr)", "1: expected 2, a certificate (1 is a client secret)"]],
    ],
    ["a wrong audience", { ...v2, aud: "other-api" }, [["audience", `other-api, expected ${apiClientId}`]]],
    ["a wrong v1.0 audience", { ...v1, aud: "api://other" }, [["audience", "api://other, expected api://orders"]]],
    [
      "a wrong issuer",
      { ...v2, iss: "https://evil.example/v2.0" },
      [["issuer (v2.0)", `https://evil.example/v2.0, expected ${host}/${tenantId}/v2.0`]],
    ],
    [
      "another tenant",
      { ...v2, tid: "00000000-0000-4000-8000-000000000000" },
      [["tenant (tid)", `00000000-0000-4000-8000-000000000000, expected ${tenantId}`]],
    ],
    [
      "an audience that only starts with the API's client id",
      { ...v2, aud: `${apiClientId}0` },
      [["audience", `${apiClientId}0, expected ${apiClientId}`]],
    ],
    [
      "a v1.0 audience that only starts with the identifier URI",
      { ...v1, aud: "api://orders.evil" },
      [["audience", "api://orders.evil, expected api://orders"]],
    ],
    [
      "a v1.0 audience that is only the start of the identifier URI",
      { ...v1, aud: "api://order" },
      [["audience", "api://order, expected api://orders"]],
    ],
    [
      "a v2.0 issuer with the right tenant on another host",
      { ...v2, iss: `https://login.evil.example/${tenantId}/v2.0` },
      [["issuer (v2.0)", `https://login.evil.example/${tenantId}/v2.0, expected ${host}/${tenantId}/v2.0`]],
    ],
    [
      "a v1.0 issuer with the right tenant on another host",
      { ...v1, iss: `https://sts.evil.example/${tenantId}/` },
      [["issuer (v1.0)", `https://sts.evil.example/${tenantId}/, expected https://sts.windows.net/${tenantId}/`]],
    ],
    [
      "a v2.0 issuer that only starts with the expected one",
      { ...v2, iss: `${host}/${tenantId}/v2.0/x` },
      [["issuer (v2.0)", `${host}/${tenantId}/v2.0/x, expected ${host}/${tenantId}/v2.0`]],
    ],
    ["another client", { ...v2, azp: apiClientId }, [["client (azp)", `${apiClientId}, expected ${clientId}`]]],
    [
      "a v1.0 token from another client",
      { ...v1, appid: apiClientId },
      [["client (appid)", `${apiClientId}, expected ${clientId}`]],
    ],
    [
      "a v2.0 token whose only client claim is v1.0's appid",
      { ...v2, azp: undefined, appid: clientId },
      [["client (azp)", `undefined, expected ${clientId}`]],
    ],
    [
      "a v2.0 token whose only credential claim is v1.0's appidacr",
      { ...v2, azpacr: undefined, appidacr: "2" },
      [["credential (azpacr)", "undefined: expected 2, a certificate (1 is a client secret)"]],
    ],
    ["a token that expires this second", { ...v2, exp: seconds }, [["expiry", "the token is already expired"]]],
    [
      "a token whose exp is not a number",
      { ...v2, exp: String(seconds + 3600) },
      [["expiry", "the token is already expired"]],
    ],
    ["an expired token", { ...v2, exp: seconds - 1 }, [["expiry", "the token is already expired"]]],
    ["a token without exp", { ...v2, exp: undefined }, [["expiry", "the token is already expired"]]],
    [
      "a missing role",
      { ...v2, roles: ["Orders.Write"] },
      [["roles", "missing Orders.Read (has Orders.Write): grant them with an app role assignment and admin consent"]],
    ],
    [
      "no roles at all",
      { ...v2, roles: undefined },
      [["roles", "missing Orders.Read (has none): grant them with an app role assignment and admin consent"]],
    ],
  ])("fails %s, and only that check", async (_what, claims, expected) => {
    expect(await failures(claims)).toEqual(expected);
  });

  it("fails a bad signature: a token signed by a key the authority does not publish", async () => {
    expect(await failures(v2, stranger)).toEqual([
      ["signature", "does not verify against the authority's JWKS (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)"],
    ]);
  });

  it("fails a token whose signature bytes were altered", async () => {
    const token = await sign(v2);
    const [h, p, s] = token.split(".");
    const tampered = `${h}.${p}.${s?.startsWith("A") ? "B" : "A"}${s?.slice(1)}`;
    const checks = await checkToken(tampered, inputs, jwks, now);
    expect(checks.find((c) => c.name === "signature")).toMatchObject({ ok: false });
  });

  it("asks for --api-client-id when a v2.0 audience cannot be matched without it", async () => {
    expect(await failures({ ...v2 }, undefined, { apiClientId: undefined })).toEqual([
      [
        "audience",
        `${apiClientId} cannot be matched to api://orders: pass --api-client-id (the apiClientId output) for v2.0 tokens`,
      ],
    ]);
  });

  it("accepts a v2.0 audience equal to the identifier URI, and passes when no role is expected", async () => {
    expect(await failures({ ...v2, aud: "api://orders", roles: undefined }, undefined, { expectedRoles: [] })).toEqual(
      [],
    );
  });

  it("reads what is not a token as no claims: every check fails, nothing throws", async () => {
    const checks = await checkToken("not a token", inputs, jwks, now);
    expect(checks.filter((c) => c.ok)).toEqual([]);
  });

  it("tells which expected roles a token still lacks, for waiting", async () => {
    expect(missingRoles(await sign({ ...v2, roles: ["A"] }), ["A", "B"])).toEqual(["B"]);
    expect(missingRoles("garbage", ["A"])).toEqual(["A"]);
  });
});

describe("fetchJwks: the authority's signing keys", () => {
  let entra: TestEntra;
  let at: ClientInputs;
  beforeAll(async () => {
    entra = await startEntra();
    at = { ...inputs, authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: entra.caPem };
  });
  afterAll(() => entra.stop());
  const keysUri = () => `${entra.authorityHost}/${entra.tenantId}/discovery/v2.0/keys`;

  it("finds them through the discovery document, over TLS trusting the given CA", async () => {
    const keys = await fetchJwks(at);
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({ kty: "RSA", use: "sig", kid: expect.any(String) });
    await expect(fetchJwks({ ...at, caPem: undefined })).rejects.toThrow();
  });

  it("reads them from the JWKS URI msal-node's discovery named, without asking discovery again", async () => {
    const elsewhere = { ...at, tenantId: "00000000-0000-4000-8000-000000000000" };
    expect((await fetchJwks(elsewhere, keysUri())).keys).toHaveLength(1);
    await expect(fetchJwks(elsewhere)).rejects.toThrow("discovery answered HTTP 400");
  });

  it("refuses an answer that is no key set, or no 200", async () => {
    const discoveryUri = `${entra.authorityHost}/${entra.tenantId}/v2.0/.well-known/openid-configuration`;
    await expect(fetchJwks(at, discoveryUri)).rejects.toThrow("JWKS answered HTTP 200");
    await expect(fetchJwks(at, `${entra.authorityHost}/${entra.tenantId}/nowhere`)).rejects.toThrow(
      "JWKS answered HTTP 404",
    );
  });
});
