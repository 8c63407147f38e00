import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

describe("the local Key Vault's disabled certificate versions", () => {
  const v = vaultForFile(async (t) => ({ token: await adminToken(t) }));

  const call = (method: "GET" | "POST" | "PATCH", path: string, json?: unknown) =>
    vaultRequest(v.t.vault, method, path, { token: v.token, json });
  const digest = createHash("sha256").update("x").digest("base64url");

  it("refuses get secret, get key and sign on a disabled version with 403 Forbidden, as Key Vault does, and serves them again once enabled", async () => {
    expect((await call("POST", "/certificates/off/create", createBody({ exportable: true }))).status).toBe(202);
    const version = (await call("GET", "/certificates/off")).body.id.split("/").at(-1);
    const routes = [
      ["GET", `/secrets/off/${version}`, "get", "secret", "SecretDisabled"],
      ["GET", "/secrets/off", "get", "secret", "SecretDisabled"],
      ["GET", `/keys/off/${version}`, "get", "key", "KeyDisabled"],
      ["GET", "/keys/off", "get", "key", "KeyDisabled"],
      ["POST", `/keys/off/${version}/sign`, "sign", "key", "KeyDisabled"],
    ] as const;
    const send = (method: "GET" | "POST", path: string) =>
      call(method, path, method === "POST" ? { alg: "PS256", value: digest } : undefined);
    for (const [method, path] of routes) expect((await send(method, path)).status, path).toBe(200);

    const off = await call("PATCH", `/certificates/off/${version}`, { attributes: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.attributes.enabled).toBe(false);
    for (const [method, path, operation, kind, inner] of routes) {
      const res = await send(method, path);
      expect(res.status, path).toBe(403);
      expect(res.body.error).toEqual({
        code: "Forbidden",
        message: `Operation ${operation} is not allowed on a disabled ${kind}.`,
        innererror: { code: inner },
      });
      expect(JSON.stringify(res.body)).not.toContain("PRIVATE");
    }
    // The certificate itself (public) is still read, as Key Vault reads a disabled certificate's properties.
    expect((await call("GET", `/certificates/off/${version}`)).status).toBe(200);

    expect((await call("PATCH", `/certificates/off/${version}`, { attributes: { enabled: true } })).status).toBe(200);
    for (const [method, path] of routes) expect((await send(method, path)).status, path).toBe(200);
  });
});
