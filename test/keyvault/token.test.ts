import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { exportJWK, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createLoopbackTls } from "../../common/loopbackTls";
import { type Principal, tokenChecker } from "../../keyvault/token";
import { keyPool } from "../support/keyPool";

/**
 * The local Key Vault's bearer-token check on its own (keyvault/token.ts), against a key set this test serves over
 * HTTPS and on a clock it sets: auth.test.ts has the same rules end to end, with tokens of the local Entra ID.
 */
describe("a bearer token, checked as Key Vault checks it", () => {
  const tenantId = randomUUID();
  const oid = randomUUID();
  const appid = randomUUID();
  let server: Server;
  let authorityHost: string;
  let caPem: string;
  let published: KeyObject;
  let other: KeyObject;
  /** What the key set answers: the published keys, a server error, or a body with no key list. */
  let serve: "keys" | "error" | "no keys" | "null" = "keys";
  let keys: { kid: string; key: KeyObject }[] = [];
  let fetches = 0;
  const now = new Date("2026-06-01T12:00:00.000Z");
  const t = now.getTime() / 1000;
  let clock = now;

  beforeAll(async () => {
    const tls = await createLoopbackTls("CN=test key set CA");
    caPem = tls.caPem;
    const pool = keyPool("certificates");
    published = createPrivateKey(pool[0] ?? "");
    other = createPrivateKey(pool[1] ?? "");
    server = createServer({ cert: tls.serverCertPem, key: tls.serverKeyPem }, async (req, res) => {
      fetches++;
      if (req.url !== `/${tenantId}/discovery/v2.0/keys` || serve === "error") {
        res.writeHead(500).end();
        return;
      }
      const jwks = await Promise.all(
        keys.map(async ({ kid, key }) => ({ ...(await exportJWK(createPublicKey(key))), kid, use: "sig" })),
      );
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(serve === "null" ? "null" : JSON.stringify(serve === "keys" ? { keys: jwks } : { value: jwks }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    authorityHost = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  beforeEach(() => {
    serve = "keys";
    keys = [{ kid: "published", key: published }];
    fetches = 0;
    clock = now;
  });

  const checker = () => tokenChecker({ authorityHost, tenantId, caPem }, () => clock);
  const v1 = () => `https://sts.windows.net/${tenantId}/`;
  const v2 = () => `${authorityHost}/${tenantId}/v2.0`;
  /** A token with the claims of a good one (`undefined` leaves a claim out), signed by `key` under `kid`. */
  function token(claims: Record<string, unknown> = {}, options: { kid?: string; key?: KeyObject; alg?: string } = {}) {
    const payload: Record<string, unknown> = {
      aud: "https://vault.azure.net",
      iss: v1(),
      tid: tenantId,
      oid,
      appid,
      iat: t,
      nbf: t,
      exp: t + 3600,
      ...claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? "RS256", typ: "JWT", kid: options.kid ?? "published" })
      .sign(options.key ?? published);
  }
  const refusal = async (check: Promise<Principal>) => {
    const err = await check.then(
      () => undefined,
      (e: unknown) => e as { status?: number; code?: string; message?: string },
    );
    return err && { status: err.status, code: err.code, message: err.message };
  };
  const unauthorized = (message: string) => ({ status: 401, code: "Unauthorized", message });
  const noToken = unauthorized("AKV10000: Request is missing a Bearer or PoP token.");

  it("takes a v1.0 or v2.0 token of the tenant for the vault, and names its caller by oid (lower case), appid and iss", async () => {
    const check = checker();
    expect(await check(`Bearer ${await token({ oid: oid.toUpperCase() })}`)).toEqual({ oid, appid, iss: v1() });
    expect(await check(`Bearer ${await token({ iss: v2(), appid: undefined, azp: appid })}`)).toEqual({
      oid,
      appid,
      iss: v2(),
    });
    // An appid that is no GUID is left out, not quoted into an RBAC refusal.
    expect(await check(`Bearer ${await token({ appid: "hunter2" })}`)).toEqual({ oid, iss: v1() });
    expect(await check(`Bearer ${await token({ appid: [appid] })}`)).toEqual({ oid, iss: v1() });
    expect(await check(`Bearer ${await token({ appid: undefined, azp: [appid] })}`)).toEqual({ oid, iss: v1() });
    expect(await check(`bearer ${await token()}`)).toEqual({ oid, appid, iss: v1() });
  });

  it("takes the vault's resource with or without a trailing slash, or its app id, as the audience", async () => {
    const check = checker();
    for (const aud of ["https://vault.azure.net", "https://vault.azure.net/", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"])
      expect((await check(`Bearer ${await token({ aud })}`)).oid, aud).toBe(oid);
  });

  it("refuses no header, another scheme, and a token that is not three base64url parts, as Key Vault does (AKV10000)", async () => {
    const check = checker();
    const good = await token();
    for (const header of [
      undefined,
      "",
      good,
      `Basic ${good}`,
      `Basic Bearer ${good}`,
      `Bearer ${good.split(".").slice(0, 2).join(".")}`,
      `Bearer ${good} more`,
      `Bearer ${good}.x`,
      `Bearer ${good.replace(".", "+.")}`,
      "Bearer a.b.c",
    ])
      expect(await refusal(check(header)), String(header).slice(0, 20)).toEqual(noToken);
  });

  it("refuses a token for another audience, quoting it only when it is a GUID or an https URL (AKV10022)", async () => {
    const check = checker();
    const audience = (found: string) =>
      unauthorized(`AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${found}.`);
    expect(await refusal(check(`Bearer ${await token({ aud: "https://other.example.com" })}`))).toEqual(
      audience("https://other.example.com"),
    );
    expect(await refusal(check(`Bearer ${await token({ aud: "hunter2hunter2" })}`))).toEqual(
      audience("(a value that is not shown)"),
    );
    expect(await refusal(check(`Bearer ${await token({ aud: ["https://vault.azure.net"] })}`))).toEqual(
      audience("(a value that is not shown)"),
    );
  });

  it("refuses a token of another tenant by iss or tid, naming the issuers it takes (AKV10032)", async () => {
    const check = checker();
    const issuers = `${v1()}, ${v2()}`;
    const otherTenant = `https://sts.windows.net/${randomUUID()}/`;
    expect(await refusal(check(`Bearer ${await token({ iss: otherTenant })}`))).toEqual(
      unauthorized(`AKV10032: Invalid issuer. Expected one of ${issuers}, found ${otherTenant}.`),
    );
    expect(await refusal(check(`Bearer ${await token({ tid: randomUUID() })}`))).toEqual(
      unauthorized(`AKV10032: Invalid issuer. Expected one of ${issuers}, found ${v1()}.`),
    );
    expect(await refusal(check(`Bearer ${await token({ iss: 7 })}`))).toEqual(
      unauthorized(`AKV10032: Invalid issuer. Expected one of ${issuers}, found (a value that is not shown).`),
    );
  });

  it("refuses a token without an object id that is a GUID", async () => {
    const check = checker();
    const noOid = unauthorized("AKV10000: The token holds no object id (oid).");
    expect(await refusal(check(`Bearer ${await token({ oid: undefined })}`))).toEqual(noOid);
    expect(await refusal(check(`Bearer ${await token({ oid: "admin" })}`))).toEqual(noOid);
    expect(await refusal(check(`Bearer ${await token({ oid: [oid] })}`))).toEqual(noOid);
  });

  it("takes a token until five minutes past its exp, and from five minutes before its nbf, on its own clock", async () => {
    const check = checker();
    const good = `Bearer ${await token()}`;
    clock = new Date((t + 3600 + 299) * 1000);
    expect((await check(good)).oid).toBe(oid);
    clock = new Date((t + 3600 + 300) * 1000);
    expect(await refusal(check(good))).toEqual(unauthorized("[TokenExpired] Error validating token: 'S2S12086'."));
    clock = new Date((t - 300) * 1000);
    expect((await check(good)).oid).toBe(oid);
    clock = new Date((t - 301) * 1000);
    expect(await refusal(check(good))).toEqual(unauthorized("Error validating token: IDX10222"));
  });

  it("refuses a token without exp as it refuses an expired one (TokenExpired)", async () => {
    expect(await refusal(checker()(`Bearer ${await token({ exp: undefined })}`))).toEqual(
      unauthorized("[TokenExpired] Error validating token: 'S2S12086'."),
    );
  });

  it("refuses a token the published key did not sign (IDX10511), and one signed with another algorithm (AKV10000)", async () => {
    const check = checker();
    expect(await refusal(check(`Bearer ${await token({}, { key: other })}`))).toEqual(
      unauthorized("Error validating token: IDX10511 (signature)."),
    );
    expect(await refusal(check(`Bearer ${await token({}, { alg: "PS256" })}`))).toEqual(noToken);
  });

  it("refuses a token whose claims are no JSON as malformed, before it looks for the key or checks the signature", async () => {
    const check = checker();
    const [, , signature] = (await token()).split(".");
    const b64 = (value: string) => Buffer.from(value).toString("base64url");
    for (const kid of ["published", "rolled"]) {
      const header = b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
      expect(await refusal(check(`Bearer ${header}.${b64("{not json")}.${signature}`)), kid).toEqual(noToken);
    }
    expect(fetches).toBe(0);
  });

  it("refuses a token whose iat is no number as malformed, not as not yet valid", async () => {
    expect(await refusal(checker()(`Bearer ${await token({ iat: "now" })}`))).toEqual(noToken);
  });

  it("refuses a token under a kid the tenant does not publish (AKV10046)", async () => {
    expect(await refusal(checker()(`Bearer ${await token({}, { kid: "rolled", key: other })}`))).toEqual(
      unauthorized("AKV10046: Unable to resolve the key used for signature validation."),
    );
  });

  it("reads the key set once, and again for an unknown kid only when it last read it 10 seconds ago or more", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const check = checker();
      await check(`Bearer ${await token()}`);
      await check(`Bearer ${await token()}`);
      expect(fetches).toBe(1);
      keys = [...keys, { kid: "rolled", key: other }];
      const rolled = `Bearer ${await token({}, { kid: "rolled", key: other })}`;
      vi.setSystemTime(Date.now() + 9_999);
      expect((await refusal(check(rolled)))?.message).toMatch(/^AKV10046/);
      expect(fetches).toBe(1);
      vi.setSystemTime(Date.now() + 1);
      expect((await check(rolled)).oid).toBe(oid);
      expect(fetches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads the key set again only for an unknown kid, not for a token that fails for another reason", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const check = checker();
      await check(`Bearer ${await token()}`);
      vi.setSystemTime(Date.now() + 60_000);
      expect((await refusal(check(`Bearer ${await token({}, { key: other })}`)))?.message).toMatch(/IDX10511/);
      expect(fetches).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a token whose kid names two published keys (AKV10046)", async () => {
    keys = [
      { kid: "published", key: other },
      { kid: "published", key: published },
    ];
    expect(await refusal(checker()(`Bearer ${await token()}`))).toEqual(
      unauthorized("AKV10046: Unable to resolve the key used for signature validation."),
    );
  });

  it("answers 503 when the key set cannot be read, and reads it again on the next request", async () => {
    const check = checker();
    const unavailable = {
      status: 503,
      code: "ServiceUnavailable",
      message: "The token issuer's signing keys could not be read; try again.",
    };
    serve = "error";
    expect(await refusal(check(`Bearer ${await token()}`))).toEqual(unavailable);
    serve = "no keys";
    expect(await refusal(check(`Bearer ${await token()}`))).toEqual(unavailable);
    serve = "null";
    expect(await refusal(check(`Bearer ${await token()}`))).toEqual(unavailable);
    serve = "keys";
    expect((await check(`Bearer ${await token()}`)).oid).toBe(oid);
    expect(fetches).toBe(4);
    const elsewhere = tokenChecker({ authorityHost: "https://127.0.0.1:9", tenantId, caPem }, () => clock);
    expect(await refusal(elsewhere(`Bearer ${await token()}`))).toEqual(unavailable);
  });
});
