import { X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { thumbprints } from "../../../common/thumbprint";
import { loadOrCreatePki } from "../../../entra/pki";
import {
  application,
  applicationCertificate,
  appRoleAssignment,
  azureadInvokes,
  keyOf,
  servicePrincipal,
} from "../../../rehearsal/providers/azuread";
import { GraphError, graphClient } from "../../../rehearsal/providers/graph";
import { makeCertificate } from "../../support/certificates";
import { stopAndRemove } from "../../support/cli";
import { startEntra } from "../../support/entra";
import { fileTempDir } from "../../support/tempFolders";

// A Graph-shaped HTTPS server with the local Entra ID's PKI (made once for this file), recording what it is sent.
const seen: { method: string; url: string; authorization: string; body: string }[] = [];
let server: Server;
let host = "";
let caPem = "";
const dir = fileTempDir("eca-engine-graph-");
const deployerId = "22222222-2222-4222-8222-222222222222";
const otherOwner = "44444444-4444-4444-8444-444444444444";
const as = (authorityHost: string) => ({ authorityHost, callerId: deployerId });

beforeAll(async () => {
  const pki = await loadOrCreatePki(join(dir, "entra.json"));
  caPem = pki.caPem;
  server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization ?? "", body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
      };
      if (req.url?.includes("/gone"))
        return json(404, { error: { code: "Request_ResourceNotFound", message: "gone" } });
      if (req.method === "POST" && req.url?.endsWith("/appRoleAssignedTo")) return json(201, { id: "assignment-1" });
      if (req.method === "POST" && req.url?.endsWith("/applications"))
        return json(400, { error: { code: "Request_BadRequest", message: "displayName is required." } });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `https://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the Graph client", () => {
  it("sends the admin key as a bearer token and trusts the given CA", async () => {
    await graphClient(host, caPem, "admin-key-1")("GET", "applications");
    expect(seen.at(-1)).toMatchObject({
      method: "GET",
      url: "/graph/v1.0/applications",
      authorization: "Bearer admin-key-1",
    });
  });

  it("refuses a server its CA did not issue", async () => {
    await expect(graphClient(host, "", "k")("GET", "applications")).rejects.toThrow(/could not reach/);
  });

  it("turns Graph errors into typed errors with Graph's code and no request values", async () => {
    const graph = graphClient(host, caPem, "k");
    const error = await application(graph, as(host))
      .create({ displayName: "secret-looking-name", signInAudience: "AzureADMyOrg" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).graphCode).toBe("Request_BadRequest");
    expect(String(error)).not.toContain("secret-looking-name");
  });
});

describe("azuread AppRoleAssignment over Graph", () => {
  it("is created and deleted on the resource's appRoleAssignedTo, and an already-deleted one is gone", async () => {
    const graph = graphClient(host, caPem, "k");
    const provider = appRoleAssignment(graph);
    const made = await provider.create({
      appRoleId: "role-1",
      principalObjectId: "client-sp",
      resourceObjectId: "api-sp",
    });
    expect(made.id).toBe("/servicePrincipals/api-sp/appRoleAssignedTo/assignment-1");
    expect(seen.at(-1)).toMatchObject({
      method: "POST",
      url: "/graph/v1.0/servicePrincipals/api-sp/appRoleAssignedTo",
    });
    expect(JSON.parse(seen.at(-1)?.body ?? "{}")).toEqual({
      principalId: "client-sp",
      resourceId: "api-sp",
      appRoleId: "role-1",
    });
    await provider.delete({ id: made.id, inputs: {}, outputs: made.outputs });
    expect(seen.at(-1)).toMatchObject({
      method: "DELETE",
      url: "/graph/v1.0/servicePrincipals/api-sp/appRoleAssignedTo/assignment-1",
    });
    await expect(
      provider.delete({ id: "/servicePrincipals/gone/appRoleAssignedTo/x", inputs: {}, outputs: {} }),
    ).resolves.toBeUndefined();
  });
});

describe("the azuread Application against the local Entra ID", () => {
  it("updates in place: Graph answers the PATCH with 204, and the state is read back", async () => {
    const entra = await startEntra();
    try {
      const provider = application(
        graphClient(entra.authorityHost, entra.caPem, entra.adminKey),
        as(entra.authorityHost),
      );
      const inputs = { displayName: "before", identifierUris: [], appRoles: [] };
      const created = await provider.create(inputs);
      const update = provider.update;
      if (!update) throw new Error("Application updates in place");
      const news = { ...inputs, displayName: "after" };
      const updated = await update({ id: created.id, inputs, outputs: created.outputs }, news);
      expect(updated.outputs.displayName).toBe("after");
      expect(updated.outputs.objectId).toBe(created.outputs.objectId);
      expect(entra.admin.state.applications.map((a) => a.displayName)).toEqual(["after"]);
    } finally {
      await stopAndRemove(entra);
    }
  });
});

describe("the azuread provider against the local Entra ID, in-process", () => {
  it("makes an application with a role, its service principal, a certificate credential and a role grant, and reads them back", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey);
      const roleId = "4e2b1a7c-0d5f-4b8e-9a3c-6f1d2e8b7a90";
      const role = { id: roleId, value: "Data.Read", allowedMemberTypes: ["Application"], enabled: true };
      const api = await application(graph, as(entra.authorityHost)).create({
        displayName: "api",
        identifierUris: ["api://x"],
        appRoles: [role],
      });
      const client = await application(graph, as(entra.authorityHost)).create({
        displayName: "client",
        identifierUris: [],
        appRoles: [],
      });
      const sps = servicePrincipal(graph, entra.tenantId);
      const apiSp = await sps.create({ clientId: String(api.outputs.clientId) });
      const clientSp = await sps.create({ clientId: String(client.outputs.clientId) });
      expect(apiSp.outputs.appRoleIds).toEqual({ "Data.Read": roleId });
      expect(clientSp.outputs.applicationTenantId).toBe(entra.tenantId);
      const cert = await makeCertificate();
      const credential = await applicationCertificate(graph).create({
        applicationId: client.id,
        type: "AsymmetricX509Cert",
        encoding: "pem",
        value: cert.certificatePem,
      });
      const grants = appRoleAssignment(graph);
      const grant = await grants.create({
        appRoleId: roleId,
        principalObjectId: String(clientSp.outputs.objectId),
        resourceObjectId: String(apiSp.outputs.objectId),
      });
      const granted = () => entra.admin.state.appRoleAssignments.map((a) => [a.principalId, a.resourceId, a.appRoleId]);
      expect(granted()).toEqual([[clientSp.outputs.objectId, apiSp.outputs.objectId, roleId]]);
      const directoryClient = entra.admin.state.applications.find((a) => a.displayName === "client");
      expect(directoryClient?.keyCredentials.map((k) => k.keyId)).toEqual([credential.outputs.keyId]);
      const invokes = azureadInvokes(graph, { tenantId: entra.tenantId, clientId: "c", objectId: "o" });
      const bySp = await invokes["azuread:index/getServicePrincipal:getServicePrincipal"]?.({
        clientId: String(api.outputs.clientId),
      });
      expect(bySp?.appRoleIds).toEqual({ "Data.Read": roleId });
      const byUri = await invokes["azuread:index/getApplication:getApplication"]?.({ identifierUri: "api://x" });
      expect(byUri?.id).toBe(api.id);
      await expect(invokes["azuread:index/getApplication:getApplication"]?.({ displayName: "nobody" })).rejects.toThrow(
        "azuread getApplication: no application matches",
      );
      await grants.delete({ id: grant.id, inputs: {}, outputs: grant.outputs });
      expect(granted()).toEqual([]);
      await sps.delete({ id: clientSp.id, inputs: {}, outputs: clientSp.outputs });
      expect(entra.admin.state.servicePrincipals.map((sp) => sp.id)).toEqual([apiSp.outputs.objectId]);
    } finally {
      await stopAndRemove(entra);
    }
  });
});

describe("azuread ApplicationCertificate through keyCredentials, as the provider manages them", () => {
  it("attaches by PATCHing the whole list and removes by PATCHing it without the credential; others stay", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey);
      const app = await application(graph, as(entra.authorityHost)).create({
        displayName: "client",
        owners: [deployerId],
      });
      const [one, two] = [await makeCertificate(), await makeCertificate()];
      const provider = applicationCertificate(graph);
      const first = await provider.create({
        applicationId: app.id,
        type: "AsymmetricX509Cert",
        value: one.certificatePem,
      });
      const der = new X509Certificate(two.certificatePem).raw.toString("hex");
      const second = await provider.create({
        applicationId: app.id,
        type: "AsymmetricX509Cert",
        encoding: "hex",
        value: der,
      });
      const directory = () => entra.admin.state.applications.find((a) => a.displayName === "client");
      expect(directory()?.keyCredentials.map((k) => k.keyId)).toEqual([first.outputs.keyId, second.outputs.keyId]);
      expect(directory()?.keyCredentials[1]?.customKeyIdentifier).toBe(
        thumbprints(new X509Certificate(two.certificatePem)).sha1,
      );
      // The dates come back as the provider's read formats them: RFC3339, whole seconds.
      expect(first.outputs.endDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      await provider.delete({ id: first.id, inputs: { applicationId: app.id }, outputs: first.outputs });
      expect(directory()?.keyCredentials.map((k) => k.keyId)).toEqual([second.outputs.keyId]);
    } finally {
      await stopAndRemove(entra);
    }
  });

  it("an end date past the certificate's notAfter is refused by Graph with KeyCredentialsInvalidEndDate", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey);
      const app = await application(graph, as(entra.authorityHost)).create({
        displayName: "client",
        owners: [deployerId],
      });
      const cert = await makeCertificate();
      const notAfter = new Date(new X509Certificate(cert.certificatePem).validTo);
      const error = await applicationCertificate(graph)
        .create({
          applicationId: app.id,
          type: "AsymmetricX509Cert",
          value: cert.certificatePem,
          endDate: new Date(notAfter.getTime() + 86_400_000).toISOString().replace(/\.\d+Z$/, "Z"),
        })
        .catch((e: unknown) => e);
      expect((error as GraphError).graphCode).toBe("KeyCredentialsInvalidEndDate");
      expect(entra.admin.state.applications[0]?.keyCredentials).toEqual([]);
    } finally {
      await stopAndRemove(entra);
    }
  });

  it("sends key as the provider builds it: base64 of the PEM; base64 and hex DER are PEM-encoded first", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
    expect(Buffer.from(keyOf(pem, "pem"), "base64").toString()).toBe(pem);
    const fromHex = Buffer.from(keyOf("000102", "hex"), "base64").toString();
    expect(fromHex).toBe(pem);
    expect(Buffer.from(keyOf("AAEC", "base64"), "base64").toString()).toBe(pem);
    expect(() => keyOf("0g", "hex")).toThrow(/hexadecimal/);
    expect(() => keyOf("AAEC", "der")).toThrow(/encoding must be pem, base64 or hex/);
  });
});

describe("azuread Application owners in the local directory", () => {
  it("binds the caller first and removes it when owners does not list it, as the provider does", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey);
      const made = await application(graph, as(entra.authorityHost)).create({ displayName: "a", owners: [otherOwner] });
      expect(made.outputs.owners).toEqual([otherOwner]);
      expect(entra.admin.state.applications[0]?.owners).toEqual([otherOwner]);
      const listed = await application(graph, as(entra.authorityHost)).create({
        displayName: "b",
        owners: [otherOwner, deployerId],
      });
      expect(listed.outputs.owners).toEqual([deployerId, otherOwner]);
    } finally {
      await stopAndRemove(entra);
    }
  });

  it("an OwnedBy deployer left out of owners at creation is refused already when the same update attaches the credential", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey, {
        objectId: deployerId,
        roles: ["Application.ReadWrite.OwnedBy"],
      });
      // The provider binds the caller first and removes it after the create, as owners does not list it.
      const app = await application(graph, as(entra.authorityHost)).create({
        displayName: "app",
        owners: [otherOwner],
      });
      const cert = await makeCertificate();
      const attach = await applicationCertificate(graph)
        .create({ applicationId: app.id, type: "AsymmetricX509Cert", value: cert.certificatePem })
        .catch((e: unknown) => e);
      expect((attach as GraphError).graphCode).toBe("Authorization_RequestDenied");
    } finally {
      await stopAndRemove(entra);
    }
  });

  it("an OwnedBy deployer that an update drops from owners is refused the next change: 403 Authorization_RequestDenied", async () => {
    const entra = await startEntra();
    try {
      const graph = graphClient(entra.authorityHost, entra.caPem, entra.adminKey, {
        objectId: deployerId,
        roles: ["Application.ReadWrite.OwnedBy"],
      });
      const provider = application(graph, as(entra.authorityHost));
      const update = provider.update;
      if (!update) throw new Error("Application updates in place");
      const inputs = { displayName: "app", owners: [deployerId] };
      const created = await provider.create(inputs);
      // The update that drops the deployer succeeds: it still owns the app while it changes it.
      const dropped = await update(
        { id: created.id, inputs, outputs: created.outputs },
        { ...inputs, owners: [otherOwner] },
      );
      expect(dropped.outputs.owners).toEqual([otherOwner]);
      const refused = await update(
        { id: created.id, inputs: { ...inputs, owners: [otherOwner] }, outputs: dropped.outputs },
        { displayName: "renamed", owners: [otherOwner] },
      ).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GraphError);
      expect((refused as GraphError).status).toBe(403);
      expect((refused as GraphError).graphCode).toBe("Authorization_RequestDenied");
      const cert = await makeCertificate();
      const attach = await applicationCertificate(graph)
        .create({ applicationId: created.id, type: "AsymmetricX509Cert", value: cert.certificatePem })
        .catch((e: unknown) => e);
      expect((attach as GraphError).graphCode).toBe("Authorization_RequestDenied");
      expect(entra.admin.state.applications[0]?.displayName).toBe("app");
      expect(entra.admin.state.applications[0]?.keyCredentials).toEqual([]);
    } finally {
      await stopAndRemove(entra);
    }
  });
});
