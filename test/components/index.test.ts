import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { identifierPath } from "../../components/api";
import { rotationDigest } from "../../components/rotation";
import { stackOutputNames } from "../support/outputs";
import {
  exported,
  firstOfType,
  importProgram,
  installEngine,
  outputsOf,
  project,
  stack,
  types,
} from "../support/program";
import { openPfx } from "./openPfx";

type Program = typeof import("../../index.js");

describe("the program with default configuration", () => {
  let program: Program;
  let env: ReturnType<typeof installEngine>;
  let outputs: Record<string, unknown>;

  beforeAll(async () => {
    env = installEngine();
    // Imported only after the engine is installed: a static import would run
    // the program against no monitor and every output would be undefined.
    program = await importProgram();
    outputs = await outputsOf(program);
    await env.engine.settled();
  });

  it("exports every output of the contract, none of them empty", () => {
    for (const name of stackOutputNames) {
      expect(outputs[name], name).toBeTruthy();
    }
  });

  it("creates a 2048-bit RSA key and a certificate for digital signature and client auth", () => {
    const key = firstOfType(env.engine, types.privateKey);
    expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    const cert = firstOfType(env.engine, types.selfSignedCert);
    expect(cert.inputs).toMatchObject({
      allowedUses: ["digital_signature", "client_auth"],
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 0,
      subject: { commonName: "entra-cert-auth-client" },
    });
    const x509 = new X509Certificate(String(outputs.certificatePem));
    expect(x509.subject).toBe("CN=entra-cert-auth-client");
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("exports the private key that belongs to the certificate, as a secret", async () => {
    const x509 = new X509Certificate(String(outputs.certificatePem));
    expect(x509.checkPrivateKey(createPrivateKey(String(outputs.privateKeyPem)))).toBe(true);
    expect(await pulumi.isSecret(exported(program.privateKeyPem, "privateKeyPem"))).toBe(true);
    expect(await pulumi.isSecret(program.certificatePem)).toBe(false);
  });

  it("attaches the certificate to the application by its resource id, with the certificate's validity to the second", () => {
    const app = firstOfType(env.engine, types.application, "client-app");
    const cred = firstOfType(env.engine, types.certificate);
    const x509 = new X509Certificate(String(outputs.certificatePem));
    expect(cred.inputs.applicationId).toBe(app.id);
    expect(app.id).toMatch(/^\/applications\/[0-9a-f-]{36}$/);
    expect(cred.inputs).toMatchObject({ type: "AsymmetricX509Cert", encoding: "pem", value: outputs.certificatePem });
    expect(cred.inputs.keyId).toBeUndefined();
    expect(new Date(String(cred.inputs.startDate)).getTime()).toBe(new Date(x509.validFrom).getTime());
    expect(new Date(String(cred.inputs.endDate)).getTime()).toBe(new Date(x509.validTo).getTime());
    expect(cred.inputs.endDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(outputs.certificateNotAfter).toBe(cred.inputs.endDate);
  });

  it("exports thumbprints equal to openssl's fingerprints of the same certificate", () => {
    const dir = mkdtempSync(join(tmpdir(), "eca-openssl-"));
    const file = join(dir, "cert.pem");
    writeFileSync(file, String(outputs.certificatePem));
    const fingerprint = (digest: string) =>
      execFileSync("openssl", ["x509", "-in", file, "-noout", "-fingerprint", `-${digest}`], { encoding: "utf8" })
        // "sha1 Fingerprint=AB:CD:..." -> the part after the "=".
        .replace(/^[^=]*=/, "")
        .trim()
        .replaceAll(":", "");
    try {
      expect(outputs.thumbprint).toBe(fingerprint("sha1"));
      expect(outputs.thumbprintSha256).toBe(fingerprint("sha256"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates a companion API with one application role and grants it to the client's service principal", () => {
    const api = firstOfType(env.engine, types.application, "client-api");
    const roles = api.inputs.appRoles as { value: string; id: string; allowedMemberTypes: string[] }[];
    expect(roles.map((r) => r.value)).toEqual(["Data.Read"]);
    const [role] = roles;
    assert(role, "the API declares a role");
    expect(role.allowedMemberTypes).toEqual(["Application"]);
    expect(api.inputs.api).toEqual({ requestedAccessTokenVersion: 2 });
    const apiSp = firstOfType(env.engine, types.servicePrincipal, "client-api-sp");
    const clientSp = firstOfType(env.engine, types.servicePrincipal, "client-sp");
    const grant = firstOfType(env.engine, types.roleAssignment);
    expect(grant.inputs).toEqual({
      appRoleId: role.id,
      principalObjectId: clientSp.outputs.objectId,
      resourceObjectId: apiSp.outputs.objectId,
    });
    expect(outputs.expectedRoles).toEqual(["Data.Read"]);
    const path = identifierPath(project, stack, `organization/${project}/${stack}/client`);
    expect(path).toMatch(/^entra-cert-auth-test-[0-9a-f]{8}$/);
    expect(outputs.scope).toBe(`api://${outputs.tenantId}/${path}/.default`);
    expect(apiSp.inputs.appRoleAssignmentRequired).toBe(true);
  });

  it("owns the app registrations by the deploying identity and builds the authority from the tenant", () => {
    const app = firstOfType(env.engine, types.application, "client-app");
    expect(app.inputs.owners).toEqual([env.deployer.objectId]);
    expect(outputs.tenantId).toBe(env.admin.tenantId);
    expect(outputs.authority).toBe(`https://login.microsoftonline.com/${env.admin.tenantId}`);
  });

  it("parents every resource to the component and names key, certificate and credential by one generation", () => {
    const component = env.engine.registered.find((r) => r.type === "entra-cert-auth:index:CertificateApp");
    for (const r of env.engine.registered.filter((x) => x.custom))
      expect(r.options.parent, r.name).toBe(component?.urn);
    const key = firstOfType(env.engine, types.privateKey);
    const cert = firstOfType(env.engine, types.selfSignedCert);
    const cred = firstOfType(env.engine, types.certificate);
    const generation = key?.name.replace("client-key-", "");
    expect(generation).toMatch(/^[0-9a-f]{12}$/);
    expect(cert?.name).toBe(`client-cert-${generation}`);
    expect(cred?.name).toBe(`client-credential-${generation}`);
    // No replacementTrigger anywhere: rotation works on any 3.x CLI.
    for (const r of env.engine.registered) expect(r.options.replacementTrigger, r.name).toBeUndefined();
    expect(cred?.options.deleteBeforeReplace).toBe(false);
    expect(outputs.rotationState).toEqual({
      current: { id: generation, rotation: rotationDigest("1"), certificatePem: outputs.certificatePem },
    });
  });

  it("lists the one attached certificate with its thumbprints and end date", () => {
    expect(outputs.attachedCertificates).toEqual([
      {
        thumbprint: outputs.thumbprint,
        thumbprintSha256: outputs.thumbprintSha256,
        notAfter: outputs.certificateNotAfter,
      },
    ]);
  });

  it("exports a PFX of the certificate and its key, under a generated password, both secret", async () => {
    expect(await pulumi.isSecret(exported(program.certificatePfx, "certificatePfx"))).toBe(true);
    expect(await pulumi.isSecret(exported(program.pfxPassword, "pfxPassword"))).toBe(true);
    const password = firstOfType(env.engine, types.password);
    expect(password?.inputs).toMatchObject({ length: 32, special: false });
    expect(String(outputs.pfxPassword)).toMatch(/^[A-Za-z0-9]{32}$/);
    const opened = openPfx(String(outputs.certificatePfx), String(outputs.pfxPassword));
    expect(opened.certificatePem.trim()).toBe(String(outputs.certificatePem).trim());
    expect(opened.keyMatchesCertificate).toBe(true);
    expect(opened.encryption).toMatch(/AES-256-CBC/);
  });

  it("registered the credential in the directory with the exported key id", () => {
    const app = env.admin.state.applications.find((a) => a.appId === outputs.clientId);
    expect(app?.keyCredentials.map((k) => [k.keyId, k.customKeyIdentifier])).toEqual([
      [outputs.keyId, outputs.thumbprint],
    ]);
  });
});
