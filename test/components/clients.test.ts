import { createPrivateKey, X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { clientsOf } from "../../components/clientSettings";
import { CertificateClients } from "../../components/clients";
import { defaults, type Settings } from "../../components/defaults";
import { ConfigError } from "../../components/errors";
import type { StateEntry, Step } from "../support/mockEngine/engine";
import { importProgram, installEngine, newDirectory, outputsOf, types } from "../support/program";

type Directory = ReturnType<typeof newDirectory>;

interface Deployment {
  checkpoint: StateEntry[];
  /** The stack outputs as the next deployment's StackReference reads them: `{clients: {<name>: {...}}}`. */
  outputs: { clients: Record<string, Record<string, unknown>> };
  steps: Step[];
  secret: Record<string, Record<string, boolean>>;
}

/** One `pulumi up` of a clients map over the previous deployment. */
async function up(
  admin: Directory,
  clients: Record<string, unknown>,
  before?: Deployment,
  base: Partial<Settings> = {},
): Promise<Deployment> {
  const steps: Step[] = [];
  const env = installEngine({
    admin,
    previous: before?.checkpoint,
    outputs: before?.outputs,
    onStep: (step) => steps.push(step),
  });
  const parsed = clientsOf(clients, { ...defaults, apiRoles: ["Orders.Read", "Orders.Write", "Audit.Read"], ...base });
  if (!parsed) throw new Error("no clients");
  const component = new CertificateClients("clients", parsed);
  const outputs: Record<string, Record<string, unknown>> = {};
  const secret: Record<string, Record<string, boolean>> = {};
  for (const [name, app] of Object.entries(component.outputs)) {
    outputs[name] = await outputsOf(app);
    secret[name] = Object.fromEntries(
      await Promise.all(
        Object.entries(app).map(async ([k, v]) => [k, await pulumi.isSecret(v as pulumi.Output<unknown>)] as const),
      ),
    );
  }
  const checkpoint = await env.engine.finish();
  return { checkpoint, outputs: { clients: outputs }, steps, secret };
}

const three = {
  orders: { roles: ["Orders.Read", "Orders.Write"] },
  billing: { roles: ["Orders.Read"], displayName: "Billing service" },
  audit: { roles: ["Audit.Read"], keySize: 3072 },
};

const changed = (d: Deployment) => d.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);

describe("many clients in one stack", () => {
  it("makes one app, service principal, certificate and grants per client over one companion API", async () => {
    const admin = newDirectory();
    const d = await up(admin, three);
    const apis = admin.state.applications.filter((a) => a.identifierUris.length > 0);
    expect(apis).toHaveLength(1);
    const api = apis[0];
    for (const [name, own] of Object.entries(three)) {
      const out = d.outputs.clients[name] ?? {};
      expect(out.apiClientId, name).toBe(api?.appId);
      expect(out.expectedRoles, name).toEqual(own.roles);
      const sp = admin.state.servicePrincipals.find((s) => s.appId === out.clientId);
      const granted = admin.state.appRoleAssignments
        .filter((a) => a.principalId === sp?.id)
        .map((a) => api?.appRoles.find((r) => r.id === a.appRoleId)?.value)
        .sort();
      expect(granted, name).toEqual([...own.roles].sort());
      const cert = new X509Certificate(String(out.certificatePem));
      expect(cert.checkPrivateKey(createPrivateKey(String(out.privateKeyPem))), name).toBe(true);
      expect(d.secret[name]?.privateKeyPem, name).toBe(true);
      expect(d.secret[name]?.pfxPassword, name).toBe(true);
      expect(d.secret[name]?.certificatePfx, name).toBe(true);
      expect(d.secret[name]?.certificatePem, name).toBe(false);
    }
    const names = admin.state.applications.filter((a) => a.identifierUris.length === 0).map((a) => a.displayName);
    expect(names.sort()).toEqual(["Billing service", "entra-cert-auth-client-audit", "entra-cert-auth-client-orders"]);
    expect(
      new X509Certificate(String(d.outputs.clients.audit?.certificatePem)).publicKey.asymmetricKeyDetails
        ?.modulusLength,
    ).toBe(3072);
  });

  it("rotates one client's certificate with overlap and leaves the others' generations alone", async () => {
    const admin = newDirectory();
    const first = await up(admin, three);
    const second = await up(admin, { ...three, billing: { ...three.billing, rotation: "2" } }, first);
    expect(changed(second).filter((s) => !s.includes("billing"))).toEqual([]);
    expect(changed(second).some((s) => s.startsWith("create billing-credential-"))).toBe(true);
    expect(second.outputs.clients.billing?.attachedCertificates).toHaveLength(2);
    for (const name of ["orders", "audit"])
      expect(second.outputs.clients[name]?.thumbprint, name).toBe(first.outputs.clients[name]?.thumbprint);
    // Its memory is its own entry of `clients`: a third run with nothing changed changes nothing.
    const third = await up(admin, { ...three, billing: { ...three.billing, rotation: "2" } }, second);
    expect(changed(third)).toEqual([]);
  });

  it("deletes exactly a removed client's resources, and keeps the others and the API", async () => {
    const admin = newDirectory();
    const first = await up(admin, three);
    const { billing: _, ...two } = three;
    const second = await up(admin, two, first);
    const deleted = second.steps.filter((s) => s.op === "delete").map((s) => s.name);
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.every((n) => n.startsWith("billing"))).toBe(true);
    expect(changed(second).filter((s) => !s.startsWith("delete"))).toEqual([]);
    const billingId = first.outputs.clients.billing?.clientId;
    expect(admin.state.applications.some((a) => a.appId === billingId)).toBe(false);
    expect(Object.keys(second.outputs.clients).sort()).toEqual(["audit", "orders"]);
  });

  it("renames a client's display name in place, changing nothing else", async () => {
    const admin = newDirectory();
    const first = await up(admin, three);
    const second = await up(admin, { ...three, audit: { ...three.audit, displayName: "Audit" } }, first);
    expect(changed(second)).toEqual(["update audit-app"]);
  });
});

describe("the clients setting's validation", () => {
  const problemsOf = (raw: unknown, base: Partial<Settings> = {}): string[] => {
    try {
      clientsOf(raw, { ...defaults, ...base });
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it("names each problem by clients.<name>.<key> and never quotes the value", () => {
    const problems = problemsOf({
      orders: { keySize: 1234, roles: ["Secret.Role-xyz"], colour: "blue-sky-value" },
      billing: { validityDays: "many-days-value", keyVaultExportable: "maybe-value" },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^clients\.orders\.colour is not a client setting: use displayName, /),
      expect.stringMatching(/^clients\.billing\.validityDays must be a whole number$/),
      expect.stringMatching(/^clients\.billing\.keyVaultExportable must be true or false$/),
    ]);
    const semantic = problemsOf({ orders: { keySize: 1234, roles: ["Secret.Role-xyz"] } });
    expect(semantic).toEqual([
      expect.stringMatching(/^clients\.orders\.keySize: keySize \(value\) is not supported: use one of 2048/),
      expect.stringMatching(/^clients\.orders\.roles: roles\[0\] is not one of apiRoles/),
    ]);
    for (const text of [...problems, ...semantic])
      for (const value of ["1234", "Secret.Role-xyz", "blue-sky-value", "many-days-value", "maybe-value"])
        expect(text).not.toContain(value);
  });

  it("refuses a name that is no client name without quoting it, and a map that is no map", () => {
    const problems = problemsOf({ "orders service!": {}, "-x": {} });
    expect(problems).toEqual([
      expect.stringMatching(/^clients: the name of client 1 is not a client name: use letters, digits and dashes/),
      expect.stringMatching(/^clients: the name of client 2 is not a client name/),
    ]);
    expect(problems.join("\n")).not.toContain("orders service!");
    expect(problemsOf(["orders"])).toEqual([expect.stringMatching(/^clients is not a map/)]);
    expect(problemsOf({ orders: "roles" })).toEqual([expect.stringMatching(/^clients\.orders is not a map/)]);
  });

  it("reports a top-level problem once, not again under each client", () => {
    const problems = problemsOf({ a: {}, b: {} }, { apiRoles: [] });
    expect(problems).toEqual([expect.stringMatching(/^apiRoles is empty/)]);
    expect(clientsOf({}, defaults)).toBeUndefined();
    expect(clientsOf(undefined, defaults)).toBeUndefined();
  });
});

describe("the program with a clients map", () => {
  it("without it (or with an empty map) exports no `clients` output and makes one app", async () => {
    const env = installEngine({ config: { clients: {} } });
    const program = (await importProgram()) as Record<string, unknown>;
    expect(program.clients).toBeUndefined();
    expect(program.clientId).toBeDefined();
    await env.engine.settled();
    expect(
      env.engine.registered
        .filter((r) => r.type === types.application)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["client-api", "client-app"]);
  });

  it("exports only `clients`, each name to a single app's outputs", async () => {
    const env = installEngine({
      config: { apiRoles: ["Orders.Read", "Audit.Read"], clients: { orders: { roles: ["Orders.Read"] }, audit: {} } },
    });
    const program = (await importProgram()) as Record<string, unknown>;
    const defined = Object.keys(program).filter((k) => program[k] !== undefined);
    expect(defined).toEqual(["clients"]);
    const clients = program.clients as Record<string, Record<string, pulumi.Output<unknown>>>;
    expect(Object.keys(clients).sort()).toEqual(["audit", "orders"]);
    const audit = await outputsOf(clients.audit ?? {});
    expect(audit.expectedRoles).toEqual(["Orders.Read", "Audit.Read"]);
    expect(Object.keys(audit)).toContain("rotationState");
    await env.engine.settled();
    expect(env.engine.registered.filter((r) => r.type === types.application)).toHaveLength(3);
  });
});
