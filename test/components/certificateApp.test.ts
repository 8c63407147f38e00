import { X509Certificate } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { pickRoles } from "../../components/api";
import { CertificateApp } from "../../components/certificateApp";
import { ConfigError } from "../../components/errors";
import { makeCertificate } from "../support/certificates";
import { capturingRejections, installEngine, newDirectory, ofType, promiseOf, types } from "../support/program";
import { openPfx } from "./openPfx";

async function deploy(
  name: string,
  args: ConstructorParameters<typeof CertificateApp>[1],
  env: ReturnType<typeof installEngine>,
) {
  const app = new CertificateApp(name, args);
  await promiseOf(app.keyId);
  await env.engine.settled();
  return app;
}

// Two RSA keys for the whole file (generated certificates draw from the engine's pool).
const pair = Promise.all([
  makeCertificate({ subject: "CN=issued by our CA" }),
  makeCertificate({ subject: "CN=other" }),
]);

describe("CertificateApp", () => {
  it("fails with every configuration problem before registering anything", () => {
    const env = installEngine();
    let error: unknown;
    try {
      new CertificateApp("bad", { keySize: 1000, keyAlgorithm: "ECDSA", roles: ["Nope"] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("ERR_CONFIG_INVALID");
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as Error).message).toContain("keySize 1000 is not supported");
    expect(env.engine.registered.filter((r) => r.name.startsWith("bad"))).toEqual([]);
  });

  it("attaches a brought certificate without creating any tls resource", async () => {
    const [byo] = await pair;
    const env = installEngine();
    const app = await deploy("byo", { certificatePem: byo.certificatePem, privateKeyPem: byo.privateKeyPem }, env);
    expect(ofType(env.engine, types.privateKey, "byo")).toEqual([]);
    expect(ofType(env.engine, types.selfSignedCert, "byo")).toEqual([]);
    const [cred] = ofType(env.engine, types.certificate, "byo");
    expect(cred?.inputs.value).toBe(byo.certificatePem);
    expect(new Date(String(cred?.inputs.endDate)).getTime()).toBe(
      new Date(new X509Certificate(byo.certificatePem).validTo).getTime(),
    );
    expect(await promiseOf(app.privateKeyPem)).toBe(byo.privateKeyPem);
    const opened = openPfx(await promiseOf(app.certificatePfx), await promiseOf(app.pfxPassword));
    expect(opened.certificatePem.trim()).toBe(byo.certificatePem.trim());
    expect(opened.keyMatchesCertificate).toBe(true);
  });

  it("rejects a brought key that does not belong to the brought certificate", async () => {
    const [issued, other] = await pair;
    installEngine();
    expect(
      () =>
        new CertificateApp("mismatch", { certificatePem: issued.certificatePem, privateKeyPem: other.privateKeyPem }),
    ).toThrow(/privateKeyPem does not match certificatePem/);
  });

  it("honours key size, validity, subject, token version and several roles", async () => {
    const env = installEngine();
    const app = await deploy(
      "custom",
      {
        keySize: 3072,
        validityDays: 90,
        earlyRenewalDays: 10,
        certificateSubject: "svc-a",
        apiRoles: ["A.Read", "A.Write", "A.Admin"],
        roles: ["A.Write", "A.Admin"],
        accessTokenVersion: 1,
      },
      env,
    );
    const cert = new X509Certificate(await promiseOf(app.certificatePem));
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(cert.subject).toBe("CN=svc-a");
    const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000;
    expect(days).toBeCloseTo(90, 3);
    expect(ofType(env.engine, types.roleAssignment, "custom")).toHaveLength(2);
    expect(await promiseOf(app.expectedRoles)).toEqual(["A.Write", "A.Admin"]);
    const [api] = ofType(env.engine, types.application, "custom-api");
    expect(api?.inputs.api).toEqual({ requestedAccessTokenVersion: 1 });
  });

  it("grants roles on an existing API looked up by client id", async () => {
    const admin = newDirectory();
    const api = admin.createApplication({
      displayName: "orders",
      identifierUris: ["api://orders"],
      appRoles: [
        {
          id: "6f1c2b0a-0000-4000-8000-000000000001",
          value: "Orders.Read",
          allowedMemberTypes: ["Application"],
          isEnabled: true,
        },
      ],
    });
    const apiSp = admin.createServicePrincipal(api.appId);
    const env = installEngine({ admin });
    const app = await deploy("ext", { apiClientId: api.appId, roles: ["Orders.Read"] }, env);
    expect(await promiseOf(app.scope)).toBe(`${api.appId}/.default`);
    expect(await promiseOf(app.apiClientId)).toBe(api.appId);
    const [grant] = ofType(env.engine, types.roleAssignment, "ext");
    expect(grant?.inputs).toMatchObject({
      appRoleId: "6f1c2b0a-0000-4000-8000-000000000001",
      resourceObjectId: apiSp.id,
    });
    expect(ofType(env.engine, types.application, "ext-api")).toEqual([]);
  });

  it("scopes an existing API by its configured identifier URI", async () => {
    const admin = newDirectory();
    const api = admin.createApplication({
      displayName: "stock",
      identifierUris: ["api://stock"],
      appRoles: [
        {
          id: "6f1c2b0a-0000-4000-8000-000000000002",
          value: "S",
          allowedMemberTypes: ["Application"],
          isEnabled: true,
        },
      ],
    });
    admin.createServicePrincipal(api.appId);
    const env = installEngine({ admin });
    const app = await deploy("uri", { apiClientId: api.appId, roles: ["S"], apiIdentifierUri: "api://stock" }, env);
    expect(await promiseOf(app.scope)).toBe("api://stock/.default");
  });

  it("asks for v2 tokens on the client app when personal accounts may sign in", async () => {
    const env = installEngine();
    await deploy("msa", { signInAudience: "AzureADandPersonalMicrosoftAccount" }, env);
    const [client] = ofType(env.engine, types.application, "msa-app");
    expect(client?.inputs.api).toEqual({ requestedAccessTokenVersion: 2 });
  });

  it("warns at preview when owners leave out the deployer, and not when they keep it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const env = installEngine();
      await deploy("own", { owners: ["33333333-3333-4333-8333-333333333333"] }, env);
      await deploy("own2", { owners: [env.deployer.objectId] }, env);
      const warnings = warn.mock.calls.map((c) => String(c[0]));
      expect(warnings.filter((w) => w.includes("owners does not include the deployer"))).toEqual([
        expect.stringContaining(`deployer ${env.deployer.objectId}: with Application.ReadWrite.OwnedBy`),
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses a role the existing API does not expose, naming the roles it does", () => {
    expect(() => pickRoles({ "Orders.Read": "id-1" }, ["Orders.Read", "Orders.Write"], "api-1")).toThrow(
      "invalid configuration:\n  - roles[1] is not a role API api-1 exposes (it exposes Orders.Read): fix roles",
    );
    expect(pickRoles({ "Orders.Read": "id-1", Other: "id-2" }, ["Orders.Read"], "api-1")).toEqual({
      "Orders.Read": "id-1",
    });
  });

  it("holds several apps in one stack", async () => {
    const env = installEngine();
    const [a, b] = [
      new CertificateApp("svc-a", { displayName: "svc-a" }),
      new CertificateApp("svc-b", { displayName: "svc-b" }),
    ];
    const [ca, cb] = await Promise.all([promiseOf(a.clientId), promiseOf(b.clientId)]);
    await env.engine.settled();
    expect(ca).not.toBe(cb);
    expect(ofType(env.engine, types.certificate)).toHaveLength(2);
  });
});

describe("the PFX output", () => {
  it("uses the configured password and the legacy 3DES form when asked", async () => {
    const env = installEngine();
    const app = new CertificateApp("legacy", { pfxPassword: "correct horse", pfxEncryption: "legacy3des" });
    expect(await promiseOf(app.pfxPassword)).toBe("correct horse");
    const opened = openPfx(await promiseOf(app.certificatePfx), "correct horse");
    expect(opened.keyMatchesCertificate).toBe(true);
    expect(opened.encryption).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    expect(opened.encryption).toMatch(/MAC: sha1/);
    await env.engine.settled();
  });

  it("fails at once with the cause when a resource fails, instead of waiting", async () => {
    const { engine } = installEngine({ omit: [types.selfSignedCert] });
    const { result } = await capturingRejections(engine, async () => {
      const app = new CertificateApp("broken");
      return promiseOf(app.certificatePfx).then(
        () => "settled",
        (err: Error) => err.message,
      );
    });
    expect(result).toMatch(/no handler for resource type tls:index\/selfSignedCert/);
  });
});
