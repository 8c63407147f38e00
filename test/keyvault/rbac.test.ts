import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RoleName } from "../../keyvault/server";
import { adminToken, createBody, vaultForFile, vaultRequest, vaultToken } from "../support/keyvault";

type Method = Parameters<typeof vaultRequest>[1];

const digest = createHash("sha256").update("x").digest("base64url");
const version = "0123456789abcdef0123456789abcdef";
const sign = { alg: "PS256", value: digest };

/**
 * Every route checks its dataAction before it looks at anything else (Key Vault's RBAC answers 403 before 404).
 * Each row: the route (`{name}` an object), its dataAction, a built-in role that lacks it, one that grants it.
 */
const rows: [Method, string, string, RoleName, RoleName, unknown?][] = [
  ["GET", "/certificates", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  ["GET", "/certificates/{name}", "certificates/read", "Key Vault Secrets User", "Key Vault Certificate User"],
  ["GET", "/certificates/{name}/versions", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  ["GET", "/certificates/{name}/policy", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  ["GET", "/certificates/{name}/pending", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  [
    "POST",
    "/certificates/{name}/create",
    "certificates/create/action",
    "Key Vault Certificate User",
    "Key Vault Certificates Officer",
    createBody(),
  ],
  [
    "PATCH",
    "/certificates/{name}",
    "certificates/update/action",
    "Key Vault Reader",
    "Key Vault Certificates Officer",
    { tags: { a: "b" } },
  ],
  [
    "DELETE",
    "/certificates/{name}",
    "certificates/delete",
    "Key Vault Certificate User",
    "Key Vault Certificates Officer",
  ],
  ["GET", "/deletedcertificates", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  ["GET", "/deletedcertificates/{name}", "certificates/read", "Key Vault Crypto User", "Key Vault Reader"],
  [
    "DELETE",
    "/deletedcertificates/{name}",
    "certificates/purge/action",
    "Key Vault Reader",
    "Key Vault Certificates Officer",
  ],
  [
    "POST",
    "/deletedcertificates/{name}/recover",
    "certificates/recover/action",
    "Key Vault Reader",
    "Key Vault Certificates Officer",
  ],
  ["GET", "/keys/{name}", "keys/read", "Key Vault Certificates Officer", "Key Vault Crypto User"],
  [
    "POST",
    `/keys/{name}/${version}/sign`,
    "keys/sign/action",
    "Key Vault Certificate User",
    "Key Vault Crypto User",
    sign,
  ],
  ["GET", "/secrets/{name}", "secrets/getSecret/action", "Key Vault Certificates Officer", "Key Vault Secrets User"],
  ["GET", "/secrets/{name}", "secrets/getSecret/action", "Key Vault Reader", "Key Vault Certificate User"],
];

describe("who may do what in the local Key Vault (Azure RBAC)", () => {
  const v = vaultForFile(async (t) => {
    const admin = await adminToken(t);
    // The object every refused request names: it must be there, unchanged, after all of them.
    expect(
      (await vaultRequest(t.vault, "POST", "/certificates/held/create", { token: admin, json: createBody() })).status,
    ).toBe(202);
    const tokens = new Map<RoleName | "none", string>();
    for (const role of new Set(rows.flatMap(([, , , denied, allowed]) => [denied, allowed])))
      tokens.set(role, await vaultToken(t, await t.identity([role])));
    tokens.set("none", await vaultToken(t, await t.identity([])));
    return { admin, tokens };
  });
  const as = (who: RoleName | "none", method: Method, path: string, json?: unknown) =>
    vaultRequest(v.t.vault, method, path, { token: v.tokens.get(who), json });

  it.each(rows)(
    "%s %s needs %s: refused to a %s with 403 ForbiddenByRbac, let through for a %s",
    async (method, path, action, denied, allowed, json) => {
      for (const who of [denied, "none"] as const) {
        const res = await as(who, method, path.replace("{name}", "held"), json);
        expect(res.status, who).toBe(403);
        expect(res.body.error.code, who).toBe("Forbidden");
        expect(res.body.error.innererror, who).toEqual({ code: "ForbiddenByRbac" });
        expect(res.body.error.message, who).toContain(`Action: 'Microsoft.KeyVault/vaults/${action}'`);
      }
      // The refused requests changed nothing: the certificate they named is there, not deleted, untagged.
      const held = await vaultRequest(v.t.vault, "GET", "/certificates/held", { token: v.admin });
      expect(held.status).toBe(200);
      expect(held.body.tags).toBeUndefined();
      expect((await vaultRequest(v.t.vault, "GET", "/deletedcertificates/held", { token: v.admin })).status).toBe(404);
      // Let through: the route's own answer for a name the vault does not hold (or a new one it creates).
      const res = await as(allowed, method, path.replace("{name}", `absent-${method.toLowerCase()}`), json);
      expect(res.status).not.toBe(403);
      expect(res.status).toBeLessThan(500);
    },
  );
});
