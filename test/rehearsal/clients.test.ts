import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runEngine } from "../../rehearsal/engine";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

/**
 * `npm start -- --stack-config <a stack file with a clients map>` end to end, with the real program: three clients
 * deployed and verified (each with its own roles), then the file without one of them. Two runs in beforeAll; the
 * tests read what they printed and left.
 */
const temp = fileTempDir("eca-rehearsal-clients-");
const dir = () => join(temp, "stack");

const stackFile = (clients: Record<string, unknown>) => ({
  config: {
    "entra-cert-auth:apiRoles": ["Orders.Read", "Orders.Write", "Audit.Read"],
    "entra-cert-auth:clients": clients,
  },
});
const three = {
  orders: { roles: ["Orders.Read", "Orders.Write"] },
  billing: { roles: ["Orders.Read"] },
  audit: { roles: ["Audit.Read"] },
};

type Run = { code: number; stdout: string; stderr: string; outputs: Record<string, unknown> };
const runs: Run[] = [];

async function rehearse(file: string, clients: Record<string, unknown>): Promise<Run> {
  // JSON is YAML: the stack file as a user would write it, a map under `clients`.
  const path = join(temp, file);
  writeFileSync(path, JSON.stringify(stackFile(clients)));
  const io = capture();
  const code = await main(["--dir", dir(), "--stack-config", path], io, { cwd: root, runEngine });
  const saved = join(dir(), "outputs.json");
  const outputs = existsSync(saved) ? JSON.parse(readFileSync(saved, "utf8")) : {};
  return { code, ...io.text(), outputs };
}

beforeAll(async () => {
  runs.push(await rehearse("Pulumi.platform.yaml", three));
  const { billing: _, ...two } = three;
  runs.push(await rehearse("Pulumi.platform.yaml", two));
}, 240_000);

const clientsOf = (run: Run | undefined) => (run?.outputs.clients ?? {}) as Record<string, Record<string, unknown>>;

describe("npm start with a clients map", () => {
  it("deploys three clients over one API and verifies each, every one with its own roles", () => {
    const [first] = runs;
    expect(first?.code, first?.stdout).toBe(0);
    const clients = clientsOf(first);
    expect(Object.keys(clients).sort()).toEqual(["audit", "billing", "orders"]);
    expect(new Set(Object.values(clients).map((c) => c.apiClientId)).size).toBe(1);
    expect(new Set(Object.values(clients).map((c) => c.clientId)).size).toBe(3);
    const lines = first?.stdout.split("\n") ?? [];
    for (const [name, own] of Object.entries(three))
      expect(lines, name).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^rehearsal: {3}${name} +verified: a certificate-authenticated token for .* with ${own.roles.join(", ")} \\(`,
          ),
        ),
      );
    expect(lines).toContain("rehearsal: verified: all 3 clients");
    expect(Object.keys(first?.outputs ?? {})).toEqual(["clients"]);
  });

  it("leaves each client's files in clients/<name>/, mode 0600", () => {
    for (const name of Object.keys(three)) {
      const pem = join(dir(), "clients", name, "client.pem");
      expect(statSync(pem).mode & 0o777, name).toBe(0o600);
      expect(readFileSync(pem, "utf8")).toContain("PRIVATE KEY");
    }
  });

  it("removing a client deletes exactly its resources; the other two keep their apps and verify again", () => {
    const [first, second] = runs;
    expect(second?.code, second?.stdout).toBe(0);
    const stepLines = (second?.stdout ?? "")
      .split("\n")
      .filter((l) => /^rehearsal: {3}(create|update|replace|delete) /.test(l));
    expect(stepLines.length).toBeGreaterThan(0);
    for (const line of stepLines) expect(line).toMatch(/^rehearsal: {3}delete +\S+ +billing/);
    for (const name of ["orders", "audit"])
      expect(clientsOf(second)[name]?.clientId, name).toBe(clientsOf(first)[name]?.clientId);
    expect(second?.stdout).toContain("rehearsal: verified: all 2 clients");
  });

  it("while the update removes a client, the two that stay are probed at every step and always get a token; afterwards the removed one is refused and its app is gone", () => {
    const [first, second] = runs;
    const out = second?.stdout ?? "";
    expect(out).toContain(
      "rehearsal: probing every client that stays (audit, orders) at each step; removed at the end of the update: billing",
    );
    const deletes = out.split("\n").filter((l) => /^rehearsal: {3}delete /.test(l));
    const probes = out.split("\n").filter((l) => /^rehearsal: {3}probe (before|after) (?!the update, removed)/.test(l));
    // One before the update, one after each applied step, one after the update.
    expect(probes.length).toBe(deletes.length + 2);
    for (const line of probes) {
      expect(line).toContain("audit previous certificate accepted");
      expect(line).toContain("orders previous certificate accepted");
      // What was tried, after the moment (which may name one of billing's resources): billing is not.
      expect(line.slice(line.indexOf(": ", "rehearsal: ".length) + 2)).not.toContain("billing");
    }
    expect(out).toMatch(/^rehearsal: {3}probe after the update, removed: billing previous certificate refused \(/m);
    expect(out).toContain("rehearsal: every client that stays kept getting tokens at every step");
    const directory = JSON.parse(readFileSync(join(dir(), "entra.json"), "utf8")) as {
      applications: { appId: string; keyCredentials: unknown[] }[];
    };
    const appOf = (name: string) => directory.applications.find((a) => a.appId === clientsOf(first)[name]?.clientId);
    expect(appOf("billing")).toBeUndefined();
    for (const name of ["orders", "audit"]) expect(appOf(name)?.keyCredentials.length, name).toBe(1);
  });

  it("prints no private key, PFX or password of any client", () => {
    const secrets = runs.flatMap((r) =>
      Object.values(clientsOf(r)).flatMap((c) => [c.privateKeyPem, c.certificatePfx, c.pfxPassword].map(String)),
    );
    expect(secrets.length).toBeGreaterThan(0);
    expectNoSecrets(runs.map((r) => `${r.stdout}\n${r.stderr}`).join("\n"), secrets);
  });
});
