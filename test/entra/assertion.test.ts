import { constants, createHash, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyClientAssertion } from "../../entra/assertion";
import type { Application, KeyCredential } from "../../entra/directory";
import { makeCertificate, type TestCertificate } from "../support/certificates";

/**
 * The client-assertion check on its own (entra/assertion.ts), on a clock the test sets: the token endpoint tests
 * (tokenEndpoint.test.ts) send the same kinds of assertions over HTTPS; these pin the rules at their edges.
 */
describe("a client assertion, checked as Entra ID checks it", () => {
  const tenant = randomUUID();
  const clientId = randomUUID();
  const endpoint = `https://127.0.0.1:1/${tenant}/oauth2/v2.0/token`;
  const tokenEndpoints = [endpoint, `https://127.0.0.1:1/${tenant}/oauth2/token`];
  // Whole seconds, so that a claim of `now` plus the skew lands exactly on the boundary.
  const now = new Date("2026-06-01T12:00:00.000Z");
  const t = now.getTime() / 1000;
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  let cert: TestCertificate;
  let app: Application;
  let credential: KeyCredential;

  beforeAll(async () => {
    cert = await makeCertificate();
    credential = {
      keyId: randomUUID(),
      type: "AsymmetricX509Cert",
      usage: "Verify",
      key: cert.certificatePem,
      displayName: "CN=test client",
      customKeyIdentifier: new X509Certificate(cert.certificatePem).fingerprint.replaceAll(":", ""),
      startDateTime: "2026-01-01T00:00:00Z",
      endDateTime: "2027-01-01T00:00:00Z",
      createdDateTime: "2026-01-01T00:00:00Z",
    };
    app = {
      id: randomUUID(),
      appId: clientId,
      tenantId: tenant,
      displayName: "client",
      identifierUris: [],
      appRoles: [],
      api: { requestedAccessTokenVersion: null },
      keyCredentials: [credential],
      createdDateTime: "2026-01-01T00:00:00Z",
    };
  });

  const thumb = (alg: "sha1" | "sha256") =>
    createHash(alg).update(new X509Certificate(cert.certificatePem).raw).digest("base64url");
  const b64 = (value: unknown) =>
    Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

  /** A compact JWS signed as given: a header or payload no JWT library would write is written here as is. */
  function jws(header: Record<string, unknown>, payload: unknown, key: KeyObject = cert.key): string {
    const input = `${b64(header)}.${b64(payload)}`;
    const pss = header.alg === "PS256";
    const signature = sign(
      "sha256",
      Buffer.from(input),
      pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key,
    );
    return `${input}.${signature.toString("base64url")}`;
  }
  const claims = (extra: Record<string, unknown> = {}) => {
    const out: Record<string, unknown> = {
      aud: endpoint,
      iss: clientId,
      sub: clientId,
      jti: randomUUID(),
      iat: t,
      nbf: t,
      exp: t + 600,
      ...extra,
    };
    for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
    return out;
  };
  const rs256 = (payload: unknown = claims(), header: Record<string, unknown> = {}) =>
    jws({ alg: "RS256", typ: "JWT", x5t: thumb("sha1"), ...header }, payload);
  const check = (assertion: string) =>
    verifyClientAssertion({ view: { state: {} as never, now, delayMs: 0 }, app, clientId, assertion, tokenEndpoints });

  it("accepts RS256 with x5t and PS256 with x5t#S256, and returns the credential that verified it", async () => {
    expect(await check(rs256())).toBe(credential);
    expect(await check(jws({ alg: "PS256", typ: "JWT", "x5t#S256": thumb("sha256") }, claims()))).toBe(credential);
  });

  it("quotes at most 16 characters of an algorithm it does not support (5002730)", async () => {
    const alg = `HS256${"x".repeat(40)}`;
    await expect(check(jws({ alg, x5t: thumb("sha1") }, claims()))).rejects.toThrow(
      "AADSTS5002730: Invalid JWT token. Unsupported key for the signing algorithm 'HS256xxxxxxxxxxx'.",
    );
  });

  it("refuses a token of five parts (a JWE's shape) as malformed (50027), though its header names a registered key", async () => {
    // The JOSE library reads the header of three or five parts; only the three of a JWS are an assertion.
    await expect(check(`${rs256()}.${b64("more")}.${b64("parts")}`)).rejects.toThrow(/^AADSTS50027: /);
    await expect(check(`${rs256()}.${b64("more")}`)).rejects.toThrow(/^AADSTS50027: /);
  });

  it("finds the key by x5t when x5t#S256 is empty or no string, and refuses a header with neither as malformed", async () => {
    expect(await check(rs256(claims(), { "x5t#S256": 42 }))).toBe(credential);
    expect(await check(rs256(claims(), { "x5t#S256": "" }))).toBe(credential);
    await expect(check(rs256(claims(), { x5t: 42 }))).rejects.toThrow(/^AADSTS50027: /);
    await expect(check(rs256(claims(), { x5t: "" }))).rejects.toThrow(/^AADSTS50027: /);
  });

  it("finds the key by an x5t padded with '=', as MSAL Python sends it", async () => {
    expect(await check(rs256(claims(), { x5t: `${thumb("sha1")}=` }))).toBe(credential);
  });

  it("names an unknown key in 700027 by its thumbprint in upper-case hex, cut to 64 bytes", async () => {
    const long = Buffer.alloc(100, 0xab).toString("base64url");
    await expect(check(rs256(claims(), { "x5t#S256": long }))).rejects.toThrow(
      `Thumbprint of key used by client: '${"AB".repeat(64)}'`,
    );
    const sha1 = createHash("sha1").update("another certificate").digest();
    await expect(check(rs256(claims(), { x5t: sha1.toString("base64url") }))).rejects.toThrow(
      `Thumbprint of key used by client: '${sha1.toString("hex").toUpperCase()}'`,
    );
  });

  it("refuses a signed payload that is no JSON object as malformed (50027): not JSON, null, an array, a number", async () => {
    for (const payload of ["{not json", "null", "[]", "42"])
      await expect(check(rs256(payload)), payload).rejects.toThrow(/^AADSTS50027: /);
  });

  it("accepts an assertion up to five minutes past its exp, and refuses it a second later (700024)", async () => {
    expect(await check(rs256(claims({ exp: t - 300 })))).toBe(credential);
    expect(await check(rs256(claims({ exp: t - 299.5 })))).toBe(credential);
    await expect(check(rs256(claims({ exp: t - 301 })))).rejects.toThrow(/^AADSTS700024: /);
  });

  it("accepts an assertion up to five minutes before its nbf, and refuses it a second earlier (700024)", async () => {
    expect(await check(rs256(claims({ nbf: t + 300 })))).toBe(credential);
    await expect(check(rs256(claims({ nbf: t + 301 })))).rejects.toThrow(/^AADSTS700024: /);
  });

  it("says in 700024 the current time and the assertion's nbf and exp, or (none) for a claim it lacks", async () => {
    const window = (from: string, to: string) =>
      `Current time: ${now.toISOString()}, assertion valid from ${from}, expiry time of assertion ${to}.`;
    await expect(check(rs256(claims({ nbf: undefined, exp: t - 400 })))).rejects.toThrow(
      window("(none)", iso(t - 400)),
    );
    await expect(check(rs256(claims({ nbf: t + 400, exp: t + 1000 })))).rejects.toThrow(
      window(iso(t + 400), iso(t + 1000)),
    );
    await expect(check(rs256(claims({ exp: undefined })))).rejects.toThrow(window(iso(t), "(none)"));
  });

  it("counts an exp that is no number, or past what a Date holds (8.64e12 s), as missing (700024)", async () => {
    const missing = "expiry time of assertion (none).";
    await expect(check(rs256(claims({ exp: String(t + 600) })))).rejects.toThrow(missing);
    await expect(check(rs256(claims({ exp: 8.64e12 })))).rejects.toThrow(missing);
    await expect(check(rs256(claims({ exp: -8.64e12 })))).rejects.toThrow(missing);
    // Just inside the range it is a date (far in the future), so the assertion is within its validity.
    expect(await check(rs256(claims({ exp: 8.64e12 - 1 })))).toBe(credential);
  });
});
