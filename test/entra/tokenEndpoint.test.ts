import { createHash, createSign, generateKeyPairSync, randomUUID, X509Certificate } from "node:crypto";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpTimeoutError } from "../../common/https";
import { thumbprints } from "../../common/thumbprint";
import { makeCertificate } from "../support/certificates";
import {
  adminRequest,
  assertion,
  clientCredentialsForm,
  graphErrorOf,
  postForm,
  type RegisteredClient,
  registerClient,
  startEntra,
  tokenEndpoint,
  unsigned,
} from "../support/entra";

describe("the token endpoint answers like Entra ID", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  let path: string;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    path = `/${entra.tenantId}/oauth2/v2.0/token`;
  });
  afterAll(() => entra.stop());

  const send = async (form: Record<string, string>, at = path) => postForm(entra, at, form);
  const withAssertion = async (options: Parameters<typeof assertion>[2] = {}, who = client) =>
    send(clientCredentialsForm(who, await assertion(who, tokenEndpoint(entra), options)));

  function expectError(
    res: Awaited<ReturnType<typeof send>>,
    status: number,
    error: string,
    code: number,
    starts: string,
  ) {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error, error_codes: [code] });
    expect(res.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
    expect(res.body.error_description).toContain(starts);
    expect(res.body.error_description).toMatch(
      /Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
    );
    expect(Object.keys(res.body).sort()).toEqual([
      "correlation_id",
      "error",
      "error_codes",
      "error_description",
      "error_uri",
      "timestamp",
      "trace_id",
    ]);
    expect(res.body.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
  }

  it("accepts RS256 with a padded x5t, float exp and iat and no nbf, as MSAL Python sends", async () => {
    const t = Date.now() / 1000;
    const res = await withAssertion({ x5t: "sha1-padded", claims: { nbf: undefined, iat: t, exp: t + 540.5 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer" });
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in", "ext_expires_in", "token_type"]);
    expect(res.headers["cache-control"]).toContain("no-store");
  });

  it("accepts PS256 with x5t#S256, as msal-node's thumbprintSha256 sends", async () => {
    expect((await withAssertion({ alg: "PS256", x5t: "sha256" })).status).toBe(200);
  });

  it("accepts the same assertion again until it expires, as MSAL reuses it", async () => {
    const reused = await assertion(client, tokenEndpoint(entra));
    expect((await send(clientCredentialsForm(client, reused))).status).toBe(200);
    expect((await send(clientCredentialsForm(client, reused))).status).toBe(200);
  });

  it("accepts an iat one second below nbf, as msal-node sends", async () => {
    expect((await withAssertion({ claims: { iat: now() - 1, nbf: now() } })).status).toBe(200);
  });

  it("rejects an unknown client with AADSTS700016", async () => {
    const stranger = { ...client, clientId: randomUUID() };
    expectError(
      await withAssertion({}, stranger),
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${stranger.clientId}' was not found in the directory '${entra.tenantId}'`,
    );
  });

  it("rejects an assertion signed by a key the app does not have with 700027, key not found", async () => {
    const other = await makeCertificate();
    const res = await withAssertion({}, { ...client, cert: other });
    expectError(
      res,
      401,
      "invalid_client",
      700027,
      "[Reason - The key was not found., Thumbprint of key used by client: '",
    );
  });

  it("rejects a registered thumbprint with a signature from another key with 700027, signature mismatch", async () => {
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expectError(
      await withAssertion({ key: otherKey }),
      401,
      "invalid_client",
      700027,
      "[Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '",
    );
  });

  it("rejects an expired assertion with 700024", async () => {
    expectError(
      await withAssertion({ claims: { iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 } }),
      401,
      "invalid_client",
      700024,
      "Client assertion is not within its valid time range.",
    );
  });

  it("rejects an assertion that is not yet valid with 700024", async () => {
    expectError(
      await withAssertion({ claims: { nbf: now() + 3600, exp: now() + 4200 } }),
      401,
      "invalid_client",
      700024,
      "assertion valid from",
    );
  });

  it("rejects an assertion for another audience with 700023", async () => {
    const res = await send(
      clientCredentialsForm(
        client,
        await assertion(client, `https://login.microsoftonline.com/${entra.tenantId}/oauth2/v2.0/token`),
      ),
    );
    expectError(res, 401, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer.");
  });

  it("rejects an assertion whose iss and sub are not the client id", async () => {
    expectError(
      await withAssertion({ claims: { iss: randomUUID() } }),
      401,
      "invalid_client",
      700021,
      "doesn't match 'client_id'",
    );
  });

  it("rejects an assertion whose sub differs from iss, even with iss the client id", async () => {
    expectError(
      await withAssertion({ claims: { sub: randomUUID() } }),
      401,
      "invalid_client",
      700021,
      "doesn't match 'client_id'",
    );
  });

  it("rejects an assertion with no aud with 700023", async () => {
    expectError(
      await withAssertion({ claims: { aud: undefined } }),
      401,
      "invalid_client",
      700023,
      "Client assertion audience claim does not match Realm issuer.",
    );
  });

  it("accepts an aud listing the token endpoint among others, or in another case, and refuses a list without it", async () => {
    const endpoint = tokenEndpoint(entra);
    expect((await withAssertion({ claims: { aud: ["https://other.example/token", endpoint] } })).status).toBe(200);
    expect((await withAssertion({ claims: { aud: endpoint.toUpperCase().replace("HTTPS", "https") } })).status).toBe(
      200,
    );
    expect(
      (await withAssertion({ claims: { aud: `${entra.authorityHost}/${entra.tenantId}/oauth2/token` } })).status,
    ).toBe(200);
    const refused = await withAssertion({ claims: { aud: ["https://other.example/token", `${endpoint}/x`] } });
    expectError(refused, 401, "invalid_client", 700023, "Client assertion audience claim does not match");
  });

  it.each([
    ["a SAML bearer assertion type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"],
    ["the jwt-bearer type with something after it", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer2"],
  ])("rejects %s with 700025, quoting it", async (_what, type) => {
    const form = {
      ...clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))),
      client_assertion_type: type,
    };
    expectError(
      await send(form),
      400,
      "invalid_request",
      700025,
      `The client_assertion_type '${type}' is not supported.`,
    );
  });

  it("rejects a request without client_assertion_type with 900144", async () => {
    const { client_assertion_type: _t, ...form } = clientCredentialsForm(
      client,
      await assertion(client, tokenEndpoint(entra)),
    );
    expectError(
      await send(form),
      400,
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'client_assertion_type'.",
    );
  });

  it("finds the resource by its client id or its identifier URI, with or without a trailing slash, the scope trimmed", async () => {
    const uri = client.scope.slice(0, -"/.default".length);
    for (const scope of [`${client.apiClientId}/.default`, `${uri}//.default`, `  ${client.scope}  `]) {
      const form = { ...clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))), scope };
      const res = await send(form);
      expect(res.status, scope).toBe(200);
    }
  });

  it.each([
    ["two scopes", (scope: string) => `${scope} https://graph.microsoft.com/.default`],
    ["/.default alone", () => "/.default"],
  ])("rejects %s with 1002012", async (_what, change) => {
    const form = { ...clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))) };
    form.scope = change(form.scope ?? "");
    expectError(await send(form), 400, "invalid_scope", 1002012, "Client credential flows must have a scope value");
  });

  it("quotes a client's value in an error cut to 128 characters, never whole", async () => {
    const grant = `g${"x".repeat(200)}`;
    const res = await send({ ...clientCredentialsForm(client, "x"), grant_type: grant });
    expectError(res, 400, "unsupported_grant_type", 70003, `unsupported grant type '${grant.slice(0, 128)}...'.`);
    const exact = "y".repeat(128);
    const res128 = await send({ ...clientCredentialsForm(client, "x"), grant_type: exact });
    expectError(res128, 400, "unsupported_grant_type", 70003, `unsupported grant type '${exact}'.`);
  });

  it("rejects a scope without /.default with 1002012", async () => {
    const form = {
      ...clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))),
      scope: client.scope.replace("/.default", "/Data.Read"),
    };
    expectError(
      await send(form),
      400,
      "invalid_scope",
      1002012,
      "Client credential flows must have a scope value with /.default suffixed",
    );
  });

  it("rejects an unknown resource with 500011", async () => {
    const form = {
      ...clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))),
      scope: "api://unknown/.default",
    };
    expectError(
      await send(form),
      400,
      "invalid_resource",
      500011,
      `The resource principal named api://unknown was not found in the tenant named ${entra.tenantId}`,
    );
  });

  it("rejects an unknown tenant with 90002", async () => {
    const tenant = randomUUID();
    const res = await send(
      clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra))),
      `/${tenant}/oauth2/v2.0/token`,
    );
    expectError(res, 400, "invalid_request", 90002, `Tenant '${tenant}' not found.`);
  });

  it("rejects a request without an assertion with 7000216", async () => {
    const { client_assertion: _a, client_assertion_type: _t, ...form } = clientCredentialsForm(client, "x");
    expectError(
      await send(form),
      401,
      "invalid_client",
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required",
    );
  });

  it("rejects another grant type with 70003", async () => {
    const form = { ...clientCredentialsForm(client, "x"), grant_type: "password" };
    expectError(
      await send(form),
      400,
      "unsupported_grant_type",
      70003,
      "The app requested an unsupported grant type 'password'.",
    );
  });

  it.each(["grant_type", "client_id", "scope"])("rejects a request missing %s with 900144", async (parameter) => {
    const form = clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra)));
    delete (form as Record<string, string>)[parameter];
    expectError(
      await send(form),
      400,
      "invalid_request",
      900144,
      `The request body must contain the following parameter: '${parameter}'.`,
    );
  });

  it("rejects alg none with 401 AADSTS5002730", async () => {
    const none = unsigned(
      { alg: "none", typ: "JWT", x5t: "AAAA" },
      { aud: tokenEndpoint(entra), iss: client.clientId, sub: client.clientId, exp: now() + 600 },
    );
    expectError(
      await send(clientCredentialsForm(client, none)),
      401,
      "invalid_client",
      5002730,
      "Unsupported key for the signing algorithm 'none'",
    );
  });

  it("rejects an assertion with a critical header extension it does not know with 400 AADSTS50027", async () => {
    // Signed by hand: jose itself refuses to sign with an unknown critical extension.
    const x5t = createHash("sha1").update(new X509Certificate(client.cert.certificatePem).raw).digest("base64url");
    const claims = { aud: tokenEndpoint(entra), iss: client.clientId, sub: client.clientId, exp: now() + 600 };
    const input = unsigned({ alg: "RS256", typ: "JWT", x5t, crit: ["exp-ext"], "exp-ext": true }, claims).slice(0, -1);
    const signature = createSign("RSA-SHA256").update(input).sign(client.cert.key).toString("base64url");
    const res = await send(clientCredentialsForm(client, `${input}.${signature}`));
    expectError(res, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
  });

  it.each([
    ["an object that breaks String()", { toString: 1 }],
    ["an object", { name: "RS256" }],
    ["a number", 256],
    ["null", null],
  ])("answers an alg that is %s with 400 AADSTS50027, never a 500", async (_, alg) => {
    const hostile = `${unsigned(
      { alg, typ: "JWT", x5t: "AAAA" },
      { aud: tokenEndpoint(entra), iss: client.clientId, sub: client.clientId, exp: now() + 600 },
    )}c2ln`;
    const res = await send(clientCredentialsForm(client, hostile));
    expectError(res, 400, "invalid_request", 50027, "JWT token is invalid or malformed.");
  });

  it.each(["HS256", "ES256"])("rejects %s", async (alg) => {
    const forged = `${unsigned(
      { alg, typ: "JWT", x5t: "AAAA" },
      { aud: tokenEndpoint(entra), iss: client.clientId, sub: client.clientId, exp: now() + 600 },
    )}c2ln`;
    const res = await send(clientCredentialsForm(client, forged));
    expect(res.status).toBe(401);
    expect(res.body.error_codes).toEqual([5002730]);
  });

  it("counts an expired key credential as not found", async () => {
    const expired = await makeCertificate({
      notBefore: new Date(Date.now() - 2 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const app = await registerClient(entra, { cert: expired });
    expectError(await withAssertion({}, app), 401, "invalid_client", 700027, "The key was not found.");
  });

  it("counts a key credential that has not started as not found", async () => {
    const future = await makeCertificate({
      notBefore: new Date(Date.now() + 86_400_000),
      notAfter: new Date(Date.now() + 2 * 86_400_000),
    });
    const app = await registerClient(entra, { cert: future });
    expectError(await withAssertion({}, app), 401, "invalid_client", 700027, "The key was not found.");
  });

  it("answers injected 429 with Retry-After, then 503, then serves again", async () => {
    entra.faults.inject({ kind: "throttle", retryAfterSeconds: 7 });
    entra.faults.inject({ kind: "unavailable", retryAfterSeconds: 2 });
    const throttled = await withAssertion();
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("7");
    expect((await withAssertion()).status).toBe(503);
    expect((await withAssertion()).status).toBe(200);
  });

  it("hangs on an injected hang until the client gives up", async () => {
    entra.faults.inject({ kind: "hang" });
    await expect(postForm(entra, path, clientCredentialsForm(client, "x"), 300)).rejects.toThrow(HttpTimeoutError);
    expect((await withAssertion()).status).toBe(200);
  });
});

describe("the directory", () => {
  it("refuses a key credential whose end date is past the certificate's notAfter", async () => {
    const entra = await startEntra();
    try {
      const cert = await makeCertificate();
      const app = entra.admin.createApplication({ displayName: "x" });
      const later = new Date(Date.now() + 365 * 86_400_000).toISOString();
      expect(() => entra.admin.addKeyCredential(app.id, { key: cert.certificatePem, endDateTime: later })).toThrow(
        expect.objectContaining({ code: "KeyCredentialsInvalidEndDate" }),
      );
      expect(entra.admin.state.applications[0]?.keyCredentials).toEqual([]);
    } finally {
      await entra.stop();
    }
  });

  it("registers through Graph-shaped admin routes over HTTPS", async () => {
    const entra = await startEntra();
    try {
      const graph = (method: "POST" | "PATCH" | "GET" | "DELETE", path: string, json?: unknown) =>
        adminRequest(entra, method, `/graph/v1.0/${path}`, { json });
      const app = (await graph("POST", "applications", { displayName: "over-http" })).body;
      const sp = (await graph("POST", "servicePrincipals", { appId: app.appId })).body;
      const [one, two] = [await makeCertificate(), await makeCertificate()];
      const base64 = (pem: string) => Buffer.from(pem).toString("base64");
      const der = (pem: string) => new X509Certificate(pem).raw.toString("base64");
      const patch = (keyCredentials: unknown[]) => graph("PATCH", `applications/${app.id}`, { keyCredentials });
      // key is Edm.Binary: base64 of the PEM text (what the azuread provider sends) or of the DER.
      expect((await patch([{ keyId: randomUUID(), key: base64(one.certificatePem) }])).status).toBe(204);
      const read = (await graph("GET", `applications/${app.id}`)).body as { keyCredentials: { key: unknown }[] };
      // Graph returns a credential's key as null; sending it back so keeps it.
      expect(read.keyCredentials.map((k) => k.key)).toEqual([null]);
      expect((await patch([...read.keyCredentials, { key: der(two.certificatePem) }])).status).toBe(204);
      const thumbs = () => entra.admin.state.applications[0]?.keyCredentials.map((k) => k.customKeyIdentifier);
      expect(thumbs()).toEqual([
        thumbprints(new X509Certificate(one.certificatePem)).sha1,
        thumbprints(new X509Certificate(two.certificatePem)).sha1,
      ]);
      expect((await patch(read.keyCredentials)).status).toBe(204);
      expect(thumbs()).toHaveLength(1);
      expect((await graph("DELETE", `servicePrincipals/${sp.id}`)).status).toBe(204);
      expect(entra.admin.state.servicePrincipals).toEqual([]);
    } finally {
      await entra.stop();
    }
  });

  it("keeps owners: bound at creation, added and removed by reference, listed", async () => {
    const entra = await startEntra();
    try {
      const a = randomUUID();
      const b = randomUUID();
      const ref = (id: string) => `${entra.authorityHost}/graph/v1.0/directoryObjects/${id}`;
      const app = (
        await adminRequest(entra, "POST", "/graph/v1.0/applications", {
          json: { displayName: "owned", "owners@odata.bind": [ref(a)] },
        })
      ).body;
      const owners = async () =>
        (
          (await adminRequest(entra, "GET", `/graph/v1.0/applications/${app.id}/owners`)).body as {
            value: { id: string }[];
          }
        ).value.map((o) => o.id);
      expect(await owners()).toEqual([a]);
      const added = await adminRequest(entra, "POST", `/graph/v1.0/applications/${app.id}/owners/$ref`, {
        json: { "@odata.id": ref(b) },
      });
      expect(added.status).toBe(204);
      const twice = await adminRequest(entra, "POST", `/graph/v1.0/applications/${app.id}/owners/$ref`, {
        json: { "@odata.id": ref(b) },
      });
      expect([twice.status, graphErrorOf(twice).code]).toEqual([400, "Request_BadRequest"]);
      expect((await adminRequest(entra, "DELETE", `/graph/v1.0/applications/${app.id}/owners/${a}/$ref`)).status).toBe(
        204,
      );
      expect(await owners()).toEqual([b]);
      const gone = await adminRequest(entra, "DELETE", `/graph/v1.0/applications/${app.id}/owners/${a}/$ref`);
      expect([gone.status, graphErrorOf(gone).code]).toEqual([404, "Request_ResourceNotFound"]);
    } finally {
      await entra.stop();
    }
  });

  it("refuses a caller that holds only Application.ReadWrite.OwnedBy a change to an app it does not own: 403", async () => {
    const entra = await startEntra();
    try {
      const me = randomUUID();
      const ref = (id: string) => `${entra.authorityHost}/graph/v1.0/directoryObjects/${id}`;
      const as = { "X-Local-Caller-Object-Id": me, "X-Local-Caller-Roles": "Application.ReadWrite.OwnedBy" };
      const mine = (
        await adminRequest(entra, "POST", "/graph/v1.0/applications", {
          json: { displayName: "mine", "owners@odata.bind": [ref(me)] },
          headers: as,
        })
      ).body as { id: string };
      const theirs = (
        await adminRequest(entra, "POST", "/graph/v1.0/applications", { json: { displayName: "theirs" } })
      ).body as { id: string };
      const rename = (id: string, headers: Record<string, string>) =>
        adminRequest(entra, "PATCH", `/graph/v1.0/applications/${id}`, { json: { displayName: "renamed" }, headers });
      expect((await rename(mine.id, as)).status).toBe(204);
      for (const refused of [
        await rename(theirs.id, as),
        await adminRequest(entra, "DELETE", `/graph/v1.0/applications/${theirs.id}`, { headers: as }),
        await adminRequest(entra, "POST", `/graph/v1.0/applications/${theirs.id}/owners/$ref`, {
          json: { "@odata.id": ref(me) },
          headers: as,
        }),
      ]) {
        expect(refused.status).toBe(403);
        expect(graphErrorOf(refused)).toMatchObject({
          code: "Authorization_RequestDenied",
          message: "Insufficient privileges to complete the operation.",
        });
      }
      expect(entra.admin.state.applications.map((x) => x.displayName).sort()).toEqual(["renamed", "theirs"]);
      // With Application.ReadWrite.All the same caller may.
      expect((await rename(theirs.id, { ...as, "X-Local-Caller-Roles": "Application.ReadWrite.All" })).status).toBe(
        204,
      );
    } finally {
      await entra.stop();
    }
  });
});

describe("fault injection over HTTP", () => {
  it("queues faults posted to /_local/faults and refuses an unknown kind", async () => {
    const entra = await startEntra();
    try {
      const client = await registerClient(entra);
      const post = (body: unknown) =>
        new Promise<number>((resolve, reject) => {
          const text = JSON.stringify(body);
          request(
            `${entra.authorityHost}/_local/faults`,
            {
              method: "POST",
              ca: entra.caPem,
              headers: {
                Authorization: `Bearer ${entra.adminKey}`,
                "Content-Type": "application/json",
                "Content-Length": Buffer.byteLength(text),
              },
            },
            (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            },
          )
            .on("error", reject)
            .end(text);
        });
      expect(await post({ kind: "flood" })).toBe(400);
      expect(await post({ kind: "throttle", count: 2, retryAfterSeconds: 3 })).toBe(204);
      const form = async () => clientCredentialsForm(client, await assertion(client, tokenEndpoint(entra)));
      const first = await postForm(entra, `/${entra.tenantId}/oauth2/v2.0/token`, await form());
      expect([first.status, first.headers["retry-after"]]).toEqual([429, "3"]);
      expect((await postForm(entra, `/${entra.tenantId}/oauth2/v2.0/token`, await form())).status).toBe(429);
      expect((await postForm(entra, `/${entra.tenantId}/oauth2/v2.0/token`, await form())).status).toBe(200);
    } finally {
      await entra.stop();
    }
  });
});
