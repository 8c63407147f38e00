import { X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

/**
 * CreateCertificate as Key Vault answers it with a self-issued policy: 202 and the pending operation (its CSR,
 * `inProgress`), a `Location` to poll, then `completed` with the certificate as its target.
 */
describe("the local Key Vault's certificate create operation", () => {
  const v = vaultForFile(async (t) => ({ token: await adminToken(t) }));
  const call = (method: "GET" | "POST", path: string, json?: unknown) =>
    vaultRequest(v.t.vault, method, path, { token: v.token, json });

  it("answers a create with 202, the pending operation in progress and its Location, then completes it when polled", async () => {
    const vault = v.t.vault.vaultUrl;
    const created = await call("POST", "/certificates/pending-op/create", createBody({ subject: "CN=pending op" }));
    expect(created.status).toBe(202);
    expect(new URL(created.headers.location ?? "").pathname).toBe("/certificates/pending-op/pending");
    expect(created.headers.location).toMatch(new RegExp(`^${vault}/certificates/pending-op/pending\\?api-version=`));
    expect(created.body).toMatchObject({
      id: `${vault}/certificates/pending-op/pending`,
      issuer: { name: "Self" },
      cancellation_requested: false,
      status: "inProgress",
      request_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(created.body.target).toBeUndefined();

    const polled = await call("GET", "/certificates/pending-op/pending");
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({
      id: `${vault}/certificates/pending-op/pending`,
      status: "completed",
      target: `${vault}/certificates/pending-op`,
      request_id: created.body.request_id,
      csr: created.body.csr,
    });

    // The CSR is the one of the key the certificate was issued for.
    const csr = new x509.Pkcs10CertificateRequest(Buffer.from(created.body.csr, "base64"));
    expect(csr.subject).toBe("CN=pending op");
    expect(await csr.verify()).toBe(true);
    const cert = new X509Certificate(Buffer.from((await call("GET", "/certificates/pending-op")).body.cer, "base64"));
    expect(Buffer.from(csr.publicKey.rawData).equals(cert.publicKey.export({ format: "der", type: "spki" }))).toBe(
      true,
    );
  });

  it("answers a poll of a name never created with 404 CertificateNotFound", async () => {
    const res = await call("GET", "/certificates/never-made/pending");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("CertificateNotFound");
  });
});
