import { X509Certificate } from "node:crypto";
import { rmSync } from "node:fs";
import { get } from "node:https";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { ConfidentialClientApplication, ServerError } from "@azure/msal-node";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalEntra } from "../../entra/server";
import { networkClient } from "../../verify/networkClient";
import { makeCertificate } from "../support/certificates";
import { msalClient, registerClient, startEntra } from "../support/entra";

const getJson = (entra: LocalEntra, path: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: discovery documents and JWKS, read field by field in the assertions
  new Promise<any>((resolve, reject) => {
    get(`${entra.authorityHost}${path}`, { ca: entra.caPem }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve(JSON.parse(text)));
    }).on("error", reject);
  });

const claimsOf = (token = "") => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString() || "{}");

/** The access token MSAL returned; a null result fails the test here rather than as a TypeError later. */
const tokenOf = (result: { accessToken: string } | null) => {
  if (!result) throw new Error("msal-node returned no result");
  return result;
};

describe("local Entra ID with real msal-node", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(() => entra.stop());

  it("issues a token to a certificate client using thumbprintSha256 (PS256)", async () => {
    const client = await registerClient(entra, { grant: ["Data.Read"] });
    const result = await msalClient(entra, client, "sha256").acquireTokenByClientCredential({
      scopes: [client.scope],
      skipCache: true,
    });
    expect(result?.tokenType).toBe("Bearer");
    expect(claimsOf(result?.accessToken).roles).toEqual(["Data.Read"]);
  });

  it("issues a token to a certificate client using the SHA-1 thumbprint (RS256)", async () => {
    const client = await registerClient(entra);
    const result = await msalClient(entra, client, "sha1").acquireTokenByClientCredential({
      scopes: [client.scope],
      skipCache: true,
    });
    expect(claimsOf(result?.accessToken).azp).toBe(client.clientId);
  });

  it("issues v2.0 tokens when the resource asks for them, verifiable against the published JWKS", async () => {
    const client = await registerClient(entra, { version: 2, grant: ["Data.Read", "Data.Write"] });
    const { accessToken } = tokenOf(
      await msalClient(entra, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      }),
    );
    const config = await getJson(entra, `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    const jwks = await getJson(entra, new URL(config.jwks_uri).pathname);
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      issuer: config.issuer,
      audience: client.apiClientId,
    });
    // v2.0 access tokens name their key by kid only; x5t is for v1.0 tokens.
    expect(protectedHeader).toEqual({ alg: "RS256", typ: "JWT", kid: jwks.keys[0].kid });
    expect(payload).toMatchObject({
      ver: "2.0",
      tid: entra.tenantId,
      azp: client.clientId,
      azpacr: "2",
      oid: client.servicePrincipalId,
      sub: client.servicePrincipalId,
    });
    expect(payload.appid).toBeUndefined();
    expect(payload.idtyp).toBeUndefined();
    expect((payload.roles as string[]).sort()).toEqual(["Data.Read", "Data.Write"]);
    expect(payload.exp).toBe(Number(payload.iat) + 3600);
    expect(payload.nbf).toBe(payload.iat);
    for (const opaque of ["aio", "rh", "uti"]) expect(payload[opaque]).toMatch(/^[\w.-]{16,}$/);
  });

  it("issues v1.0 tokens to resources that keep the default version", async () => {
    const client = await registerClient(entra, { version: 1, grant: ["Data.Read"] });
    const { accessToken } = tokenOf(
      await msalClient(entra, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      }),
    );
    const claims = claimsOf(accessToken);
    expect(claims).toMatchObject({
      ver: "1.0",
      iss: `https://sts.windows.net/${entra.tenantId}/`,
      aud: client.scope.replace("/.default", ""),
      appid: client.clientId,
      appidacr: "2",
      tid: entra.tenantId,
    });
    expect(claims.azp).toBeUndefined();
  });

  it("leaves out the roles claim when the client holds no assignment on the resource", async () => {
    const client = await registerClient(entra, { grant: [] });
    const { accessToken } = tokenOf(
      await msalClient(entra, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      }),
    );
    expect("roles" in claimsOf(accessToken)).toBe(false);
  });

  it("answers msal-node's errors as ServerError with Entra's code and status", async () => {
    const client = await registerClient(entra);
    const err = await msalClient(entra, client)
      .acquireTokenByClientCredential({ scopes: ["api://nothing-here/.default"], skipCache: true })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ errorCode: "invalid_resource", errorNo: 500011, status: 400 });
    expect(err.errorMessage).toContain(
      "AADSTS500011: The resource principal named api://nothing-here was not found in the tenant named",
    );
  });

  it("rejects an assertion signed by a key the app does not have", async () => {
    const client = await registerClient(entra);
    const stranger = await registerClient(entra);
    const err = await msalClient(entra, { clientId: client.clientId, cert: stranger.cert })
      .acquireTokenByClientCredential({ scopes: [client.scope], skipCache: true })
      .catch((e) => e);
    expect(err).toMatchObject({ errorCode: "invalid_client", errorNo: 700027, status: 401 });
    expect(err.errorMessage).toContain("[Reason - The key was not found., Thumbprint of key used by client: '");
  });

  it("publishes discovery documents with the endpoints MSAL reads", async () => {
    const config = await getJson(entra, `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(config).toMatchObject({
      issuer: `${entra.authorityHost}/${entra.tenantId}/v2.0`,
      token_endpoint: `${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`,
      authorization_endpoint: `${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/authorize`,
      jwks_uri: `${entra.authorityHost}/${entra.tenantId}/discovery/v2.0/keys`,
    });
    expect(config.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
    const jwks = await getJson(entra, `/${entra.tenantId}/discovery/v2.0/keys`);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", use: "sig" });
    expect(jwks.keys[0].x5c).toHaveLength(1);
    const instance = await getJson(
      entra,
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(config.authorization_endpoint)}`,
    );
    expect(instance.tenant_discovery_endpoint).toBe(
      `${entra.authorityHost}/${entra.tenantId}/v2.0/.well-known/openid-configuration`,
    );
  });

  it("is not trusted without its CA: the process environment is not how clients trust it", async () => {
    const client = await registerClient(entra);
    const auth = {
      clientId: client.clientId,
      authority: `${entra.authorityHost}/${entra.tenantId}`,
      knownAuthorities: [new URL(entra.authorityHost).host],
      clientCertificate: {
        thumbprintSha256: new X509Certificate(client.cert.certificatePem).fingerprint256.replaceAll(":", ""),
        privateKey: client.cert.privateKeyPem,
      },
    };
    // The same client twice; only the network client that carries the CA differs.
    const untrusting = new ConfidentialClientApplication({ auth });
    const trusting = new ConfidentialClientApplication({
      auth,
      system: { networkClient: networkClient({ ca: entra.caPem }) },
    });
    const request = { scopes: [client.scope], skipCache: true };
    await expect(untrusting.acquireTokenByClientCredential(request)).rejects.toMatchObject({
      errorCode: "endpoints_resolution_error",
    });
    await expect(trusting.acquireTokenByClientCredential(request)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("binds to 127.0.0.1 only", async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === "IPv4" && !i.internal)
      .flatMap((i) => (i ? [i.address] : []));
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: address, port: entra.port });
        socket.once("connect", () => {
          socket.destroy();
          resolve(false);
        });
        socket.once("error", () => resolve(true));
      });
      expect(refused, address).toBe(true);
    }
    expect(entra.boundAddress).toBe("127.0.0.1");
  });
});

describe("local Entra ID lifecycle", () => {
  it("keeps its directory, CA and signing key across a restart, so earlier tokens still verify", async () => {
    const first = await startEntra({ keep: true });
    const client = await registerClient(first, { grant: ["Data.Read"] });
    const { accessToken } = tokenOf(
      await msalClient(first, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      }),
    );
    await first.stop();

    const second = await startEntra({ state: first.statePath });
    try {
      expect(second.caPem).toBe(first.caPem);
      expect(second.tenantId).toBe(first.tenantId);
      const again = await msalClient(second, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      });
      expect(claimsOf(again?.accessToken).roles).toEqual(["Data.Read"]);
      const jwks = await getJson(second, `/${second.tenantId}/discovery/v2.0/keys`);
      await expect(jwtVerify(accessToken, createLocalJWKSet(jwks))).resolves.toBeDefined();
    } finally {
      await second.stop();
      rmSync(dirname(first.statePath), { recursive: true, force: true });
    }
  });

  it("makes a new application and key credential usable only after the propagation delay", async () => {
    const [cert, nextCert, rotated] = await Promise.all([makeCertificate(), makeCertificate(), makeCertificate()]);
    // The server's clock is injected: replication "passes" when the test moves it, not by waiting.
    let clock = Date.now();
    const entra = await startEntra({ propagationDelaySeconds: 3, now: () => new Date(clock) });
    try {
      const client = await registerClient(entra, { cert });
      const early = await msalClient(entra, client)
        .acquireTokenByClientCredential({ scopes: [client.scope], skipCache: true })
        .catch((e) => e);
      expect(early).toMatchObject({ errorNo: 700016 });
      clock += 3100;
      const late = await msalClient(entra, client).acquireTokenByClientCredential({
        scopes: [client.scope],
        skipCache: true,
      });
      expect(late?.accessToken).toBeTruthy();

      const next = await registerClient(entra, { cert: nextCert });
      clock += 3100;
      entra.admin.addKeyCredential(next.appObjectId, { key: rotated.certificatePem });
      const notYet = await msalClient(entra, { clientId: next.clientId, cert: rotated })
        .acquireTokenByClientCredential({ scopes: [next.scope], skipCache: true })
        .catch((e) => e);
      expect(notYet).toMatchObject({ errorNo: 700027 });
      expect(notYet.errorMessage).toContain("The key was not found.");
      clock += 3100;
      const rotatedClient = { clientId: next.clientId, cert: rotated };
      const now = await msalClient(entra, rotatedClient).acquireTokenByClientCredential({
        scopes: [next.scope],
        skipCache: true,
      });
      expect(now?.accessToken).toBeTruthy();
    } finally {
      await entra.stop();
    }
  });

  it("stops cleanly, even with a request hanging", async () => {
    const entra = await startEntra();
    const client = await registerClient(entra);
    entra.faults.inject({ kind: "hang" });
    const pending = msalClient(entra, client)
      .acquireTokenByClientCredential({ scopes: [client.scope], skipCache: true })
      .catch((e) => e);
    // Until the token request has reached the server and hangs there: the fault is taken by that request.
    const deadline = Date.now() + 10_000;
    while (entra.faults.pending() > 0) {
      if (Date.now() > deadline) {
        await entra.stop();
        throw new Error("the token request never reached the token endpoint");
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const started = Date.now();
    await entra.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
    await expect(
      new Promise((resolve, reject) =>
        connect({ host: "127.0.0.1", port: entra.port }).once("connect", resolve).once("error", reject),
      ),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
