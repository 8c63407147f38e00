import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { thumbprints } from "../../common/thumbprint";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";
import { filesOf, formsPerKey, revealedCheckpoint, vaultKeyForms } from "./vaultFolder";

/**
 * `npm start` with a clients map, end to end with the real program, in the two modes clients.test.ts does not run:
 * `--rotate` (every client rotates with overlap, each probed at every step, nothing else changes) and `--key-vault`
 * (every client's key made in the local Key Vault, verify signing through it for each). One run each, in beforeAll;
 * the tests read what it printed and left.
 */
const temp = fileTempDir("eca-rehearsal-clients-modes-");

type Run = { code: number; stdout: string; stderr: string; dir: string };

async function rehearse(name: string, clients: Record<string, unknown>, flags: string[]): Promise<Run> {
  const dir = join(temp, name);
  const file = join(temp, `Pulumi.${name}.yaml`);
  // JSON is YAML: the stack file as a user would write it, a map under `clients`.
  writeFileSync(
    file,
    JSON.stringify({
      config: {
        "entra-cert-auth:apiRoles": ["Orders.Read", "Orders.Write", "Audit.Read"],
        "entra-cert-auth:clients": clients,
      },
    }),
  );
  const io = capture();
  const code = await main(["--dir", dir, "--stack-config", file, "--timeout", "60", ...flags], io, { cwd: root });
  return { code, ...io.text(), dir };
}

type Outputs = Record<string, Record<string, unknown>>;
const clientsIn = (path: string): Outputs => JSON.parse(readFileSync(path, "utf8")).clients ?? {};
const lines = (text: string) => text.split("\n");

describe("npm start -- --rotate with a clients map", () => {
  // audit sets its own rotation: --rotate must rotate it all the same.
  const three = {
    orders: { roles: ["Orders.Read", "Orders.Write"] },
    billing: { roles: ["Orders.Read"] },
    audit: { roles: ["Audit.Read"], rotation: "2" },
  };
  let run: Run;
  let before: Outputs;
  let after: Outputs;
  /** What the run printed from the rotation on. */
  let rotation: string;
  beforeAll(async () => {
    run = await rehearse("rotate", three, ["--rotate"]);
    before = clientsIn(join(run.dir, "history", "outputs-001.json"));
    after = clientsIn(join(run.dir, "outputs.json"));
    rotation = run.stdout.slice(run.stdout.indexOf("rehearsal: rotating every client"));
    // Four program starts (preview and update, twice): about 30 s on an idle machine, much more on a busy one.
  }, 300_000);

  it("rotates every client, its own rotation or not: a new current certificate, the previous one still attached", () => {
    expect(run.code, run.stdout).toBe(0);
    expect(rotation).toMatch(/^rehearsal: rotating every client \(audit, billing, orders\)/);
    for (const name of Object.keys(three)) {
      const [old, now] = [before[name], after[name]];
      expect(now?.clientId, name).toBe(old?.clientId);
      expect(now?.certificatePem, name).not.toBe(old?.certificatePem);
      const attached = ((now?.attachedCertificates ?? []) as { thumbprintSha256: string }[]).map(
        (c) => c.thumbprintSha256,
      );
      expect(attached, name).toEqual([
        thumbprints(String(now?.certificatePem)).sha256,
        thumbprints(String(old?.certificatePem)).sha256,
      ]);
    }
  });

  it("changes nothing but each client's key, certificate and credential: no app, grant or API is touched", () => {
    const steps = lines(rotation).filter((l) => /^rehearsal: {3}(create|update|replace|delete) /.test(l));
    for (const line of steps)
      expect(line).toMatch(
        /^rehearsal: {3}(create|delete) +(PrivateKey|SelfSignedCert|ApplicationCertificate) (orders|billing|audit)-(key|cert|credential)-[0-9a-f]+$/,
      );
    for (const name of Object.keys(three))
      expect(steps.filter((l) => l.includes(`create  ApplicationCertificate ${name}-credential-`)).length, name).toBe(
        1,
      );
    // The previous credential stays attached: none is deleted by the first rotation.
    expect(steps.some((l) => l.includes("delete  ApplicationCertificate"))).toBe(false);
  });

  it("probes every client at every step: its previous certificate always works, and its new one once attached", () => {
    const probes = lines(rotation).filter((l) => /^rehearsal: {3}probe /.test(l));
    const steps = lines(rotation).filter((l) => /^rehearsal: {3}(create|delete) /.test(l));
    expect(probes.length).toBe(steps.length + 2);
    for (const line of probes)
      for (const name of Object.keys(three)) expect(line).toContain(`${name} previous certificate accepted`);
    const last = probes.at(-1) ?? "";
    for (const name of Object.keys(three))
      expect(last).toContain(`${name} previous certificate accepted, new certificate accepted`);
    expect(rotation).toContain("rehearsal: rotation kept a working certificate at every step");
    // verify, after the rotation, of every client with its new certificate.
    expect(rotation).toContain("rehearsal: verified: all 3 clients");
  });

  it("prints no private key, PFX or password of any client", () => {
    const secrets = [before, after].flatMap((o) =>
      Object.values(o).flatMap((c) => [c.privateKeyPem, c.certificatePfx, c.pfxPassword].map(String)),
    );
    expect(secrets.length).toBe(18);
    expectNoSecrets(`${run.stdout}\n${run.stderr}`, secrets);
  });
});

describe("npm start -- --key-vault with a clients map", () => {
  const two = { orders: { roles: ["Orders.Read", "Orders.Write"] }, audit: { roles: ["Audit.Read"] } };
  let run: Run;
  let outputs: Outputs;
  beforeAll(async () => {
    run = await rehearse("vault", two, ["--key-vault"]);
    outputs = existsSync(join(run.dir, "outputs.json")) ? clientsIn(join(run.dir, "outputs.json")) : {};
    // Two program starts and two local services.
  }, 300_000);

  it("makes each client's certificate in the local Key Vault, and outputs its vault ids and no key, PFX or password", () => {
    expect(run.code, run.stdout).toBe(0);
    expect(Object.keys(outputs).sort()).toEqual(["audit", "orders"]);
    for (const name of Object.keys(two)) {
      expect(run.stdout).toMatch(new RegExp(`^rehearsal: {3}create +Certificate ${name}-vault-cert-[0-9a-f]+$`, "m"));
      const own = outputs[name] ?? {};
      for (const key of ["privateKeyPem", "certificatePfx", "pfxPassword", "keyVaultSecretId"])
        expect(key in own, `${name}.${key}`).toBe(false);
      expect(own.keyVaultKeyId, name).toMatch(/^https:\/\/localhost:\d+\/keys\/[A-Za-z0-9-]+\/[0-9a-f]{32}$/);
    }
    expect(outputs.orders?.keyVaultKeyId).not.toBe(outputs.audit?.keyVaultKeyId);
    expect(existsSync(join(run.dir, "clients")), "no client key files").toBe(false);
  });

  it("verifies every client with a client assertion the vault signed, each with its own roles", () => {
    expect(run.stdout).toContain("the client assertion signed in the local Key Vault as the pipeline identity");
    for (const [name, own] of Object.entries(two)) {
      const section = run.stdout.slice(run.stdout.indexOf(`== client ${name}`));
      expect(section.slice(0, section.indexOf("\nrehearsal: \n"))).toContain("PASS  vault key matches certificate");
      expect(run.stdout).toMatch(
        new RegExp(
          `^rehearsal: {3}${name} +verified: a certificate-authenticated token for .* with ${own.roles.join(", ")}, its assertion signed by Key Vault \\(`,
          "m",
        ),
      );
    }
    expect(run.stdout).toContain("rehearsal: verified: all 2 clients");
  });

  it("leaves no client's private key anywhere but in the vault's own state: no output, history, checkpoint or file", () => {
    const forms = vaultKeyForms(run.dir);
    expect(forms.length).toBe(2 * formsPerKey);
    for (const [path, text] of filesOf(run.dir)) {
      if (path === "keyvault.json") continue;
      for (const form of forms) expect(text.includes(form), `${path} holds a form of a client's key`).toBe(false);
    }
    const { checkpoint, plain } = revealedCheckpoint(run.dir, "vault");
    expect(plain.includes("PRIVATE KEY"), "the checkpoint holds a private key").toBe(false);
    for (const form of forms) expect(plain.includes(form), "the checkpoint holds a client's key").toBe(false);
    expect(checkpoint.resources.some((r) => r.type === "tls:index/privateKey:PrivateKey")).toBe(false);
    expectNoSecrets(`${run.stdout}\n${run.stderr}`);
  });
});
