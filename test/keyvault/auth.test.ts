import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { ClientCertificateCredential } from "@azure/identity";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustCaPolicy } from "../../common/azureSdk";
import { x5t } from "../../common/thumbprint";
import { pkiPaths } from "../../entra/pki";
import { startEntra } from "../support/entra";
import {
  startVault,
  type TestVault,
  type VaultIdentity,
  vaultRequest,
  vaultResource,
  vaultToken,
} from "../support/keyvault";

const challenge = (t: TestVault) =>
  `Bearer authorization="${t.entra.authorityHost}/${t.entra.tenantId}", resource="https://vault.azure.net"`;

describe("the local Key Vault's bearer tokens", () => {
  let t: TestVault;
  let reader: VaultIdentity;
  let token: string;
  let offsetMs = 0;
  beforeAll(async () => {
    t = await startVault({ now: () => new Date(Date.now() + offsetMs) });
    reader = await t.identity(["Key Vault Reader"]);
    token = await vaultToken(t, reader);
  });
  afterAll(() => t?.stop());

  const list = (bearer?: string) => vaultRequest(t.vault, "GET", "/certificates", { token: bearer });

  /** A token with the claims of a good one, signed by `key` under `kid`. */
  const forged = (key: KeyObject, kid: string, claims: Record<string, unknown> = {}) => {
    const payload: Record<string, unknown> = {
      aud: vaultResource,
      iss: `https://sts.windows.net/${t.entra.tenantId}/`,
      tid: t.entra.tenantId,
      oid: reader.objectId,
      ...claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid, x5t: kid })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 3600)
      .sign(key);
  };
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

  it("answers a request without a token with 401, Key Vault's error body and the bearer challenge naming the authority", async () => {
    const res = await list();
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(challenge(t));
    expect(res.body).toEqual({
      error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
    });
  });

  it("accepts a token of the local Entra ID for https://vault.azure.net", async () => {
    const res = await list(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: [], nextLink: null });
  });

  it("refuses a token for another resource (AKV10022 invalid audience)", async () => {
    const api = t.entra.admin.createApplication({
      displayName: "other api",
      identifierUris: ["https://other.example.com"],
      api: { requestedAccessTokenVersion: 1 },
    });
    t.entra.admin.createServicePrincipal(api.appId);
    const other = (await t.credential(reader).getToken("https://other.example.com/.default")).token;
    const res = await list(other);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(challenge(t));
    expect(res.body.error).toEqual({
      code: "Unauthorized",
      message: "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://other.example.com.",
    });
  });

  it("refuses an expired token on its own clock, past five minutes of skew (TokenExpired)", async () => {
    try {
      offsetMs = 64 * 60_000; // within the skew: exp is one hour after issue
      expect((await list(token)).status).toBe(200);
      offsetMs = 66 * 60_000;
      const res = await list(token);
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({
        code: "Unauthorized",
        message: "[TokenExpired] Error validating token: 'S2S12086'.",
      });
      offsetMs = -6 * 60_000;
      expect((await list(token)).body.error?.message).toBe("Error validating token: IDX10222");
    } finally {
      offsetMs = 0;
    }
  });

  it("refuses a token signed by a key the tenant does not publish (AKV10046), and one its key did not sign", async () => {
    const unknownKid = await list(await forged(stranger, "not-a-published-kid"));
    expect(unknownKid.status).toBe(401);
    expect(unknownKid.body.error.message).toBe("AKV10046: Unable to resolve the key used for signature validation.");
    // The tenant's own kid, another key: the signature does not verify.
    const { kid } = decodeProtectedHeader(token);
    const badSignature = await list(await forged(stranger, String(kid)));
    expect(badSignature.status).toBe(401);
    expect(badSignature.body.error.code).toBe("Unauthorized");
    expect(badSignature.headers["www-authenticate"]).toBe(challenge(t));
  });

  it("checks iss, tid, aud and oid of a token the tenant's key signed (AKV10032, AKV10022)", async () => {
    // The local Entra ID's own signing key, read from beside its state file: tokens it would never issue.
    const { signingKeyPem, signingCertPem } = JSON.parse(readFileSync(pkiPaths(t.entra.statePath).keysPath, "utf8"));
    const key = createPrivateKey(signingKeyPem);
    const kid = x5t(signingCertPem);
    const issuers = `https://sts.windows.net/${t.entra.tenantId}/, ${t.entra.authorityHost}/${t.entra.tenantId}/v2.0`;
    const otherTenant = "https://sts.windows.net/00000000-0000-0000-0000-000000000000/";
    const wrongIssuer = await list(await forged(key, kid, { iss: otherTenant }));
    expect(wrongIssuer.status).toBe(401);
    expect(wrongIssuer.body.error.message).toBe(
      `AKV10032: Invalid issuer. Expected one of ${issuers}, found ${otherTenant}.`,
    );
    const wrongTid = await list(await forged(key, kid, { tid: "00000000-0000-0000-0000-000000000000" }));
    expect(wrongTid.body.error.message).toMatch(/^AKV10032: Invalid issuer/);
    const secretLooking = await list(await forged(key, kid, { aud: "hunter2hunter2" }));
    expect(secretLooking.body.error.message).toBe(
      "AKV10022: Invalid audience. Expected https://vault.azure.net, found: (a value that is not shown).",
    );
    expect((await list(await forged(key, kid, { oid: undefined }))).status).toBe(401);
    // What Key Vault accepts: v2.0 issuer of the tenant, the resource with a trailing slash, its app id.
    const v2 = { iss: `${t.entra.authorityHost}/${t.entra.tenantId}/v2.0` };
    expect((await list(await forged(key, kid, v2))).status).toBe(200);
    expect((await list(await forged(key, kid, { aud: `${vaultResource}/` }))).status).toBe(200);
    expect((await list(await forged(key, kid, { aud: "cfa8b339-82a2-471a-a3c9-0fc0be7a4093" }))).status).toBe(200);
    const res = await list("not-a-token");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("Unauthorized");
  });

  it("refuses a token the tenant's key signed that carries no exp, as it refuses an expired one (TokenExpired)", async () => {
    const { signingKeyPem, signingCertPem } = JSON.parse(readFileSync(pkiPaths(t.entra.statePath).keysPath, "utf8"));
    const kid = x5t(signingCertPem);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: vaultResource,
      iss: `https://sts.windows.net/${t.entra.tenantId}/`,
      tid: t.entra.tenantId,
      oid: reader.objectId,
    };
    const sign = (exp?: number) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid, x5t: kid }).setIssuedAt(now);
      return (exp === undefined ? jwt : jwt.setExpirationTime(exp)).sign(createPrivateKey(signingKeyPem));
    };
    // The same token with exp is accepted: only the missing claim is refused.
    expect((await list(await sign(now + 600))).status).toBe(200);
    const res = await list(await sign());
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(challenge(t));
    expect(res.body.error).toEqual({
      code: "Unauthorized",
      message: "[TokenExpired] Error validating token: 'S2S12086'.",
    });
  });

  it("refuses a token from a second local Entra ID of the same tenant, with the same registrations but its own signing keys", async () => {
    // The same state file (tenant id, the vault resource, the reader and its certificate), fresh key material.
    const twin = await startEntra({ freshKeys: true, stateText: t.entra.stateText() });
    try {
      expect(twin.tenantId).toBe(t.entra.tenantId);
      const credential = new ClientCertificateCredential(
        twin.tenantId,
        reader.clientId,
        { certificate: `${reader.cert.certificatePem}\n${reader.cert.privateKeyPem}` },
        {
          authorityHost: twin.authorityHost,
          disableInstanceDiscovery: true,
          additionalPolicies: [trustCaPolicy(twin.caPem)],
        },
      );
      const twinToken = (await credential.getToken(`${vaultResource}/.default`)).token;
      expect(decodeJwt(twinToken)).toMatchObject({ tid: t.entra.tenantId, oid: reader.objectId, aud: vaultResource });
      expect(decodeProtectedHeader(twinToken).kid).not.toBe(decodeProtectedHeader(token).kid);
      const res = await list(twinToken);
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe(challenge(t));
      expect(res.body.error).toEqual({
        code: "Unauthorized",
        message: "AKV10046: Unable to resolve the key used for signature validation.",
      });
      // The vault's own Entra ID is still trusted.
      expect((await list(token)).status).toBe(200);
    } finally {
      await twin.stop();
    }
  });

  it("never answers a data-plane request before the token is checked: a bad api-version still gets the challenge", async () => {
    const res = await vaultRequest(t.vault, "GET", "/certificates", { apiVersion: "1.0" });
    expect(res.status).toBe(401);
    const checked = await vaultRequest(t.vault, "GET", "/certificates", { token, apiVersion: "1.0" });
    expect(checked.status).toBe(400);
    expect(checked.body.error).toEqual({
      code: "BadParameter",
      message:
        "The specified version (1.0) is not recognized. Consider using the latest supported version (2025-07-01).",
    });
    // A value that is not version-shaped could be a pasted secret: it is not quoted.
    const pasted = await vaultRequest(t.vault, "GET", "/certificates", { token, apiVersion: "sk-live-hunter2" });
    expect(pasted.body.error.message).toBe(
      "The specified version (the requested version) is not recognized. Consider using the latest supported version (2025-07-01).",
    );
    for (const v of ["7.0", "7.4-preview.1", "7.6", "2025-07-01"])
      expect((await vaultRequest(t.vault, "GET", "/certificates", { token, apiVersion: v })).status).toBe(200);
  });
});

describe("the local Key Vault's admin route", () => {
  let t: TestVault;
  beforeAll(async () => {
    t = await startVault();
  });
  afterAll(() => t?.stop());

  const admin = (method: "GET" | "PUT", path: string, json?: unknown, key = t.vault.adminKey) =>
    vaultRequest(t.vault, method, path, { token: key, json, apiVersion: null });

  it("replaces a principal's roles with PUT, lists them with GET, and removes them with []", async () => {
    const who = await t.identity([]);
    const put = await admin("PUT", `/_local/roleAssignments/${who.objectId}`, {
      roles: ["Key Vault Crypto User", "Key Vault Reader"],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ principalId: who.objectId, roles: ["Key Vault Crypto User", "Key Vault Reader"] });
    expect((await admin("GET", "/_local/roleAssignments")).body.value).toContainEqual(put.body);
    expect((await vaultRequest(t.vault, "GET", "/certificates", { token: await vaultToken(t, who) })).status).toBe(200);
    await admin("PUT", `/_local/roleAssignments/${who.objectId}`, { roles: [] });
    expect((await admin("GET", "/_local/roleAssignments")).body.value).toEqual([]);
  });

  it("refuses a request without the admin key (401), an unknown role or a principal that is not a GUID (400)", async () => {
    expect((await admin("GET", "/_local/roleAssignments", undefined, "wrong")).status).toBe(401);
    const who = await t.identity([]);
    const badRole = await admin("PUT", `/_local/roleAssignments/${who.objectId}`, { roles: ["Owner"] });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.code).toBe("BadParameter");
    expect((await admin("PUT", "/_local/roleAssignments/not-a-guid", { roles: [] })).status).toBe(400);
    expect((await admin("PUT", `/_local/roleAssignments/${who.objectId}`, "[")).status).toBe(400);
  });
});
