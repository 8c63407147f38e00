import { createHash, verify, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { vaultForFile, vaultRequest, vaultToken } from "../support/keyvault";

const digest = createHash("sha256").update("signed after").digest();

describe("updating and recovering certificates in the local Key Vault (PATCH /certificates, POST /deletedcertificates/{name}/recover)", () => {
  const v = vaultForFile(async (t) => ({
    officer: await t.identity(["Key Vault Certificates Officer"]),
    signer: await t.identity(["Key Vault Crypto User"]),
  }));

  const versionOf = (id: string) => id.split("/").at(-1) ?? "";

  it("changes tags and enabled through the real CertificateClient (updateCertificateProperties), for the version named", async () => {
    const made = await v.t.createCertificate("upd-props", { officer: v.officer });
    const certificates = v.t.certificateClient(v.officer);
    const updated = await certificates.updateCertificateProperties("upd-props", versionOf(made.certificateId), {
      enabled: false,
      tags: { owner: "team-a" },
    });
    expect(updated.properties.enabled).toBe(false);
    expect(updated.properties.tags).toEqual({ owner: "team-a" });
    const read = await certificates.getCertificate("upd-props");
    expect(read.properties.enabled).toBe(false);
    expect(read.properties.tags).toEqual({ owner: "team-a" });
    expect(Buffer.from(read.cer ?? []).equals(new X509Certificate(made.certificatePem).raw)).toBe(true);
  });

  it("changes the policy's lifetime actions, and refuses any other policy change or field with 400 BadParameter, changing nothing", async () => {
    const made = await v.t.createCertificate("upd-policy", { officer: v.officer });
    const token = await vaultToken(v.t, v.officer);
    const path = `/certificates/upd-policy/${versionOf(made.certificateId)}`;
    const patch = (json: unknown) => vaultRequest(v.t.vault, "PATCH", path, { token, json });
    const renew = [{ trigger: { days_before_expiry: 30 }, action: { action_type: "AutoRenew" } }];
    expect((await patch({ policy: { lifetime_actions: renew } })).status).toBe(200);
    const policy = await vaultRequest(v.t.vault, "GET", "/certificates/upd-policy/policy", { token });
    expect(policy.body.lifetime_actions).toEqual(renew);
    for (const json of [
      { policy: { key_props: { exportable: true } } },
      { policy: { x509_props: { subject: "CN=other" } } },
      { policy: { lifetime_actions: "AutoRenew" } },
      { attributes: { enabled: "no" } },
      { tags: { n: 1 } },
      { cer: "AAAA" },
      [],
    ]) {
      const res = await patch(json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error.code).toBe("BadParameter");
    }
    const after = await vaultRequest(v.t.vault, "GET", "/certificates/upd-policy/policy", { token });
    expect(after.body.key_props.exportable).toBe(false);
    expect(after.body.x509_props.subject).toBe("CN=upd-policy");
    expect(after.body.lifetime_actions).toEqual(renew);
  });

  it("recovers a soft-deleted certificate through the real CertificateClient: the certificate is back and its key signs again", async () => {
    const made = await v.t.createCertificate("upd-recover", { officer: v.officer });
    const certificates = v.t.certificateClient(v.officer);
    await (await certificates.beginDeleteCertificate("upd-recover")).pollUntilDone();
    await expect(v.t.cryptographyClient(v.signer, made.keyId).sign("RS256", digest)).rejects.toMatchObject({
      statusCode: 404,
      code: "KeyNotFound",
    });
    const recovered = await (await certificates.beginRecoverDeletedCertificate("upd-recover")).pollUntilDone();
    expect(recovered.properties.id).toBe(made.certificateId);
    await expect(certificates.getDeletedCertificate("upd-recover")).rejects.toMatchObject({ statusCode: 404 });
    const signed = await v.t.cryptographyClient(v.signer, made.keyId).sign("RS256", digest);
    const publicKey = new X509Certificate(made.certificatePem).publicKey;
    expect(verify("sha256", Buffer.from("signed after"), publicKey, Buffer.from(signed.result))).toBe(true);
  });

  it("needs certificates/update/action to update and certificates/recover/action to recover (403 ForbiddenByRbac)", async () => {
    const made = await v.t.createCertificate("upd-rbac", { officer: v.officer });
    const version = versionOf(made.certificateId);
    for (const role of ["Key Vault Crypto User", "Key Vault Reader", "Key Vault Certificate User"] as const) {
      const who = v.t.certificateClient(await v.t.identity([role]));
      await expect(who.updateCertificateProperties("upd-rbac", version, { tags: { a: "b" } })).rejects.toMatchObject({
        statusCode: 403,
        message: expect.stringContaining("Action: 'Microsoft.KeyVault/vaults/certificates/update/action'"),
      });
    }
    await (await v.t.certificateClient(v.officer).beginDeleteCertificate("upd-rbac")).pollUntilDone();
    const reader = v.t.certificateClient(await v.t.identity(["Key Vault Reader"]));
    await expect(reader.beginRecoverDeletedCertificate("upd-rbac")).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining("Action: 'Microsoft.KeyVault/vaults/certificates/recover/action'"),
    });
    // Nothing changed: the officer, whose role holds certificates/*, still recovers it.
    await (await v.t.certificateClient(v.officer).beginRecoverDeletedCertificate("upd-rbac")).pollUntilDone();
    expect((await v.t.certificateClient(v.officer).getCertificate("upd-rbac")).properties.tags).toBeUndefined();
  });
});
