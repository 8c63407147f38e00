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

  it("prints no private key, PFX or password of any client", () => {
    const secrets = runs.flatMap((r) =>
      Object.values(clientsOf(r)).flatMap((c) => [c.privateKeyPem, c.certificatePfx, c.pfxPassword].map(String)),
    );
    expect(secrets.length).toBeGreaterThan(0);
    expectNoSecrets(runs.map((r) => `${r.stdout}\n${r.stderr}`).join("\n"), secrets);
  });
});
