import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

type Method = Parameters<typeof vaultRequest>[1];

/**
 * Key Vault's object names are 1-127 letters, digits and dashes, compared without case, so `constructor`, the one
 * lower-case member every JavaScript object inherits, is a valid name too. The vault must know it only once it is made.
 */
describe("the local Key Vault's object names", () => {
  const v = vaultForFile(async (t) => ({ token: await adminToken(t) }));
  const call = (method: Method, path: string, json?: unknown) =>
    vaultRequest(v.t.vault, method, path, { token: v.token, json });
  const digest = createHash("sha256").update("x").digest("base64url");
  const noVersion = "0123456789abcdef0123456789abcdef";

  it("knows nothing named constructor until it is created, then creates, reads, signs, soft-deletes and purges it", async () => {
    const name = "constructor";
    const missing: [Method, string, number, string, unknown?][] = [
      ["GET", `/certificates/${name}`, 404, "CertificateNotFound"],
      ["GET", `/certificates/${name}/versions`, 404, "CertificateNotFound"],
      ["GET", `/certificates/${name}/policy`, 404, "CertificateNotFound"],
      ["GET", `/certificates/${name}/pending`, 404, "CertificateNotFound"],
      ["PATCH", `/certificates/${name}`, 404, "CertificateNotFound", { tags: {} }],
      ["DELETE", `/certificates/${name}`, 404, "CertificateNotFound"],
      ["GET", `/deletedcertificates/${name}`, 404, "CertificateNotFound"],
      ["POST", `/deletedcertificates/${name}/recover`, 404, "CertificateNotFound"],
      ["DELETE", `/deletedcertificates/${name}`, 404, "CertificateNotFound"],
      ["GET", `/keys/${name}`, 404, "KeyNotFound"],
      ["POST", `/keys/${name}/${noVersion}/sign`, 404, "KeyNotFound", { alg: "PS256", value: digest }],
      ["GET", `/secrets/${name}`, 404, "SecretNotFound"],
    ];
    for (const [method, path, status, code, json] of missing) {
      const res = await call(method, path, json);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body.error?.code, `${method} ${path}`).toBe(code);
    }

    expect((await call("POST", `/certificates/${name}/create`, createBody())).status).toBe(202);
    const cert = await call("GET", `/certificates/${name}`);
    expect(cert.status).toBe(200);
    const version = String(cert.body.id).split("/").at(-1);
    expect(cert.body.id).toBe(`${v.t.vault.vaultUrl}/certificates/${name}/${version}`);
    const signed = await call("POST", `/keys/${name}/${version}/sign`, { alg: "PS256", value: digest });
    expect(signed.status).toBe(200);
    // Names are compared without case, as Key Vault's are: the object keeps the name it was created with.
    expect((await call("GET", `/certificates/Constructor/${version}`)).body.id).toBe(cert.body.id);
    expect((await call("DELETE", `/certificates/${name}`)).status).toBe(200);
    expect((await call("POST", `/certificates/${name}/create`, createBody())).status).toBe(409);
    expect((await call("DELETE", `/deletedcertificates/${name}`)).status).toBe(204);
    expect((await call("GET", `/deletedcertificates/${name}`)).status).toBe(404);
    expect((await call("POST", `/certificates/${name}/create`, createBody())).status).toBe(202);
  });
});
