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

  it("issues the certificate its policy describes: subject, DNS names, key usage, EKUs and validity", async () => {
    const body = createBody({ subject: "CN=described, O=local" });
    Object.assign(body.policy.x509_props, {
      sans: { dns_names: ["a.example.com", "b.example.com"] },
      key_usage: ["digitalSignature", "keyEncipherment"],
      ekus: ["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1"],
      validity_months: 7,
    });
    expect((await call("POST", "/certificates/described/create", body)).status).toBe(202);
    const bundle = (await call("GET", "/certificates/described")).body;
    const cert = new x509.X509Certificate(Buffer.from(bundle.cer, "base64"));
    expect(cert.subject).toBe("CN=described, O=local");
    expect(cert.issuer).toBe(cert.subject);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.items.map((n) => n.value)).toEqual(["a.example.com", "b.example.com"]);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      "1.3.6.1.5.5.7.3.2",
      "1.3.6.1.5.5.7.3.1",
    ]);
    // Valid from a little before it was made (against clock skew; how much is the vault's choice) for validity_months.
    const created = bundle.attributes.created as number;
    const notBefore = cert.notBefore.getTime() / 1000;
    expect(notBefore).toBeLessThanOrEqual(created);
    expect(created - notBefore).toBeLessThanOrEqual(600);
    const days = (cert.notAfter.getTime() / 1000 - created) / 86_400;
    expect(days).toBeGreaterThan(7 * 30.4 - 2);
    expect(days).toBeLessThan(7 * 30.4 + 2);
    expect(bundle.attributes).toMatchObject({ nbf: notBefore, exp: cert.notAfter.getTime() / 1000 });
  });

  it("answers a poll of a name never created with 404 CertificateNotFound", async () => {
    const res = await call("GET", "/certificates/never-made/pending");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("CertificateNotFound");
  });
});
