import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pickRoles } from "../../components/api";
import { CertificateApp } from "../../components/certificateApp";
import { ConfigError } from "../../components/errors";
import type { Step } from "../../rehearsal/providers/legacy/engine";
import { makeCertificate } from "../support/certificates";
import { installEngine, newDirectory, ofType, promiseOf, types } from "../support/program";

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
    const env = installEngine();
    const byo = await makeCertificate({ subject: "CN=issued by our CA" });
    const app = await deploy("byo", { certificatePem: byo.certificatePem, privateKeyPem: byo.privateKeyPem }, env);
    expect(ofType(env.engine, types.privateKey, "byo")).toEqual([]);
    expect(ofType(env.engine, types.selfSignedCert, "byo")).toEqual([]);
    const [cred] = ofType(env.engine, types.certificate, "byo");
    expect(cred.inputs.value).toBe(byo.certificatePem);
    expect(new Date(String(cred.inputs.endDate)).getTime()).toBe(
      new Date(new X509Certificate(byo.certificatePem).validTo).getTime(),
    );
    expect(await promiseOf(app.privateKeyPem)).toBe(byo.privateKeyPem);
  });

  it("rejects a brought key that does not belong to the brought certificate", async () => {
    installEngine();
    const a = await makeCertificate();
    const b = await makeCertificate();
    expect(
      () => new CertificateApp("mismatch", { certificatePem: a.certificatePem, privateKeyPem: b.privateKeyPem }),
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
        apiRoles: ["A.Read", "A.Write"],
        roles: ["A.Write"],
        accessTokenVersion: 1,
      },
      env,
    );
    const cert = new X509Certificate(await promiseOf(app.certificatePem));
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(cert.subject).toBe("CN=svc-a");
    const days = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / 86_400_000;
    expect(days).toBeCloseTo(90, 3);
    expect(ofType(env.engine, types.roleAssignment, "custom")).toHaveLength(1);
    expect(await promiseOf(app.expectedRoles)).toEqual(["A.Write"]);
    const [api] = ofType(env.engine, types.application, "custom-api");
    expect(api.inputs.api).toEqual({ requestedAccessTokenVersion: 1 });
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
    const env = installEngine({}, [], admin);
    const app = await deploy("ext", { apiClientId: api.appId, roles: ["Orders.Read"] }, env);
    expect(await promiseOf(app.scope)).toBe("api://orders/.default");
    expect(await promiseOf(app.apiClientId)).toBe(api.appId);
    const [grant] = ofType(env.engine, types.roleAssignment, "ext");
    expect(grant.inputs).toMatchObject({
      appRoleId: "6f1c2b0a-0000-4000-8000-000000000001",
      resourceObjectId: apiSp.id,
    });
    expect(ofType(env.engine, types.application, "ext-api")).toEqual([]);
  });

  it("refuses a role the existing API does not expose, naming the roles it does", () => {
    expect(() => pickRoles({ "Orders.Read": "id-1" }, ["Orders.Write"], "api-1")).toThrow(
      "invalid configuration:\n  - role Orders.Write is unknown: API api-1 exposes Orders.Read; fix roles",
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

describe("rotation", () => {
  it("replaces key, certificate and credential create-before-delete when the rotation value changes", async () => {
    const admin = newDirectory();
    const first = installEngine({}, [], admin);
    const before = await deploy("rot", { rotation: "2026-01" }, first);
    const oldKeyId = await promiseOf(before.keyId);
    const checkpoint = await first.engine.finish();

    const steps: Step[] = [];
    const second = installEngine({}, checkpoint, admin, (s) => {
      steps.push(s);
    });
    const after = await deploy("rot", { rotation: "2026-07" }, second);
    await second.engine.finish();
    const newKeyId = await promiseOf(after.keyId);

    const op = (type: string) => steps.filter((s) => s.type === type).map((s) => s.op);
    // The old key and certificate go at the end, after the new credential is attached.
    expect(op(types.privateKey)).toEqual(["replace", "delete"]);
    expect(op(types.selfSignedCert)).toEqual(["replace", "delete"]);
    expect(op(types.certificate)).toEqual(["replace", "delete"]);
    expect(op(types.application)).toEqual(["same", "same"]);
    expect(newKeyId).not.toBe(oldKeyId);
    const [cred] = ofType(second.engine, types.certificate, "rot");
    expect(cred.options.deleteBeforeReplace).toBe(false);
    const app = admin.state.applications.find(
      (a) => a.appId === checkpoint.find((c) => c.name === "rot-app")!.outputs.clientId,
    )!;
    expect(app.keyCredentials.map((k) => k.keyId)).toEqual([newKeyId]);
  });

  it("changes nothing when nothing changed", async () => {
    const admin = newDirectory();
    const first = installEngine({}, [], admin);
    await deploy("same", { rotation: "1" }, first);
    const checkpoint = await first.engine.finish();
    const steps: Step[] = [];
    const second = installEngine({}, checkpoint, admin, (s) => void steps.push(s));
    await deploy("same", { rotation: "1" }, second);
    await second.engine.finish();
    expect(new Set(steps.map((s) => s.op))).toEqual(new Set(["same"]));
  });

  it("keeps the outgoing certificate attached during an overlap, until its own end date", async () => {
    const admin = newDirectory();
    const first = installEngine({}, [], admin);
    const before = await deploy("ovl", { rotation: "1" }, first);
    const oldPem = await promiseOf(before.certificatePem);
    const checkpoint = await first.engine.finish();
    const second = installEngine({}, checkpoint, admin);
    await deploy("ovl", { rotation: "2", previousCertificatePem: oldPem }, second);
    await second.engine.finish();
    const [prev] = ofType(second.engine, types.certificate, "ovl-previous");
    expect(prev.inputs.value).toBe(oldPem);
    expect(new Date(String(prev.inputs.endDate)).getTime()).toBe(
      new Date(new X509Certificate(oldPem).validTo).getTime(),
    );
    const app = admin.state.applications.find(
      (a) =>
        a.displayName === "entra-cert-auth-client" &&
        a.keyCredentials.length > 0 &&
        a.id === String(checkpoint.find((c) => c.name === "ovl-app")!.outputs.objectId),
    )!;
    expect(app.keyCredentials).toHaveLength(2);
  });
});
