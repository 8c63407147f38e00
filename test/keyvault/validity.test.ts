import { createHash, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { x5t } from "../../common/thumbprint";
import { pkiPaths } from "../../entra/pki";
import { createBody, startVault, type TestVault, vaultRequest, vaultResource } from "../support/keyvault";

/**
 * A certificate's key carries the certificate's validity as its nbf and exp. Outside that window Key Vault refuses
 * to sign with it (only decrypt, unwrap and verify still work there); reading the key stays allowed.
 */
describe("signing with a key outside its validity period", () => {
  let t: TestVault;
  /** The vault's clock, moved to the instants under test. */
  let at: number | undefined;
  /** A token of the tenant for a Key Vault Administrator, good on the vault's clock for the certificate's whole life. */
  let token: string;
  beforeAll(async () => {
    t = await startVault({ now: () => (at === undefined ? new Date() : new Date(at * 1000)) });
    const admin = await t.identity(["Key Vault Administrator"]);
    // The local Entra ID's own signing key, read from beside its state file: a token of the tenant for any instant.
    const { signingKeyPem, signingCertPem } = JSON.parse(readFileSync(pkiPaths(t.entra.statePath).keysPath, "utf8"));
    const now = Math.floor(Date.now() / 1000);
    token = await new SignJWT({
      aud: vaultResource,
      iss: `https://sts.windows.net/${t.entra.tenantId}/`,
      tid: t.entra.tenantId,
      oid: admin.objectId,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: x5t(signingCertPem) })
      .setIssuedAt(now - 3600)
      .setNotBefore(now - 3600)
      .setExpirationTime(now + 2 * 366 * 86_400)
      .sign(createPrivateKey(signingKeyPem));
  });
  afterAll(() => t?.stop());

  const call = (method: "GET" | "POST", path: string, json?: unknown) =>
    vaultRequest(t.vault, method, path, { token, json });

  it("refuses sign before nbf and from exp on with 403 Forbidden, signs inside the window, and still serves the key", async () => {
    expect((await call("POST", "/certificates/dated/create", createBody())).status).toBe(202);
    const bundle = (await call("GET", "/certificates/dated")).body;
    const { nbf, exp } = bundle.attributes as { nbf: number; exp: number };
    const version = String(bundle.id).split("/").at(-1);
    const digest = createHash("sha256").update("x").digest("base64url");
    const signAt = async (instant: number) => {
      at = instant;
      try {
        return {
          sign: await call("POST", `/keys/dated/${version}/sign`, { alg: "PS256", value: digest }),
          key: await call("GET", `/keys/dated/${version}`),
        };
      } finally {
        at = undefined;
      }
    };
    for (const [instant, status] of [
      [nbf - 1, 403],
      [nbf, 200],
      [exp - 1, 200],
      [exp, 403],
      [exp + 86_400, 403],
    ] as const) {
      const { sign, key } = await signAt(instant);
      expect(sign.status, `sign at ${instant}`).toBe(status);
      if (status === 403) {
        expect(sign.body.error.code).toBe("Forbidden");
        expect(sign.body.error.message).toMatch(/^Operation sign is not allowed on a key outside its validity period/);
      }
      expect(key.status, `get key at ${instant}`).toBe(200);
    }
  });
});
