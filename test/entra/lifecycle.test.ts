import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { broken, lineage, parentOf, watchLineage } from "../../common/lifeline";
import { lockState, startTimeOf } from "../../common/lock";
import type { EntraContext } from "../../entra/context";
import { LocalEntraError } from "../../entra/errors";
import type { Pki } from "../../entra/pki";
import { createHandler } from "../../entra/routes";
import { adminRequest, goodTokenRequest, registerClient, seedPki, startEntra, type TestEntra } from "../support/entra";
import { expectHolds } from "../support/secrets";

const tempState = async () => {
  const state = join(mkdtempSync(join(tmpdir(), "eca-life-")), "entra.json");
  await seedPki(state);
  return state;
};
const removeState = (state: string) => rmSync(join(state, ".."), { recursive: true, force: true });

/** A state file with one application, changed by `over`. */
const stateWith = (over: Record<string, unknown>) => ({
  tenants: [{ id: "11111111-1111-4111-8111-111111111111", displayName: "t" }],
  applications: [
    {
      id: "22222222-2222-4222-8222-222222222222",
      appId: "33333333-3333-4333-8333-333333333333",
      tenantId: "11111111-1111-4111-8111-111111111111",
      displayName: "api",
      identifierUris: [],
      appRoles: [],
      api: { requestedAccessTokenVersion: 2 },
      keyCredentials: [],
      createdDateTime: "2026-01-01T00:00:00.000Z",
      ...over,
    },
  ],
  servicePrincipals: [],
  appRoleAssignments: [],
});

const servicePrincipal = {
  id: "44444444-4444-4444-8444-444444444444",
  appId: "33333333-3333-4333-8333-333333333333",
  tenantId: "11111111-1111-4111-8111-111111111111",
  displayName: "api",
  servicePrincipalNames: [],
  createdDateTime: "2026-01-01T00:00:00.000Z",
};

/** A key credential as the admin routes store it, changed by `over`; `key` is filled in from a real certificate. */
const credential = (over: Record<string, unknown>) => ({
  keyId: "55555555-5555-4555-8555-555555555555",
  type: "AsymmetricX509Cert",
  usage: "Verify",
  key: "",
  displayName: "c",
  customKeyIdentifier: "00",
  startDateTime: "2026-01-01T00:00:00.000Z",
  endDateTime: "2027-01-01T00:00:00.000Z",
  createdDateTime: "2026-01-01T00:00:00.000Z",
  ...over,
});

/** A pid that is certainly gone: a child this test started and saw exit. */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("exit", () => resolve(child.pid ?? 0));
  });

describe("one server per state file", () => {
  it("refuses a second start on a state file in use, naming the reason, and allows it again after stop", async () => {
    const first = await startEntra({ keep: true });
    try {
      const second = await startEntra({ state: first.statePath }).catch((e) => e);
      expect(second).toBeInstanceOf(LocalEntraError);
      expect(second).toMatchObject({ code: "ERR_STATE_LOCKED" });
      expect(second.message).toContain(`is in use by another local Entra ID (pid ${process.pid})`);
    } finally {
      await first.stop();
    }
    const again = await startEntra({ state: first.statePath });
    await again.stop();
    removeState(first.statePath);
  });

  it("takes over a lock whose owner died without releasing it", async () => {
    const state = await tempState();
    const dead = await deadPid();
    expect(startTimeOf(dead)).toBeUndefined();
    writeFileSync(`${state}.lock`, `${dead}\n`);
    const entra = await startEntra({ state });
    expect(readFileSync(`${state}.lock`, "utf8")).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    await entra.stop();
    expect(() => statSync(`${state}.lock`)).toThrow(/ENOENT/);
    removeState(state);
  });

  it.each([
    ["a live pid the system reused (pid 1) and no start time", () => "1\n"],
    ["a live pid (this process) with another start time", () => `${process.pid} 1\n`],
    ["no pid at all", () => "not a pid\n"],
  ])("takes over a lock holding %s: that process is no server on this file", async (_, content) => {
    const state = await tempState();
    writeFileSync(`${state}.lock`, content());
    const entra = await startEntra({ state });
    expect(readFileSync(`${state}.lock`, "utf8")).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    await entra.stop();
    removeState(state);
  });

  it("names the lock file to delete when it refuses a start", async () => {
    const state = await tempState();
    const lock = lockState(state);
    const err = await startEntra({ state }).catch((e) => e);
    expect(err.message).toContain(`if none is running, delete ${state}.lock`);
    lock.release();
    removeState(state);
  });

  it("removes the folders it made for the lock when released, and only those", () => {
    const dir = mkdtempSync(join(tmpdir(), "eca-life-"));
    const lock = lockState(join(dir, "a", "b", "entra.json"));
    expect(existsSync(join(dir, "a", "b", "entra.json.lock"))).toBe(true);
    lock.release();
    expect(existsSync(join(dir, "a"))).toBe(false);
    expect(existsSync(dir)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

/** Every file in a folder with its content: what a refused start must leave as it was. */
const listing = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );

/** A GET over real HTTPS trusting only the CA in the server's CA file, as a client would. */
const trustsCaFile = async (entra: TestEntra) =>
  (await adminRequest({ ...entra, caPem: readFileSync(entra.caPath, "utf8") }, "GET", "/graph/v1.0/organization"))
    .status;

describe("a refused start writes nothing", () => {
  it("leaves the running server's ca.pem alone and writes no keys, admin key or lock beside a file that is no state file", async () => {
    const running = await startEntra({ keep: true });
    const dir = dirname(running.statePath);
    try {
      const outputs = join(dir, "outputs.json");
      writeFileSync(outputs, JSON.stringify({ tenantId: { value: "x" } }));
      const before = listing(dir);
      const err = await startEntra({ state: outputs }).catch((e) => e);
      expect(err).toMatchObject({ code: "ERR_STATE_INVALID" });
      // outputs.json passed by mistake: the fix is the right file, not deleting this one.
      expect(err.message).toContain("if it is another file, pass the state file (e.g. .rehearsal/entra.json)");
      expect(listing(dir)).toEqual(before);
      expect(await trustsCaFile(running)).toBe(200);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes no state file, admin key or CA when the port is taken", async () => {
    const running = await startEntra();
    const state = await tempState();
    try {
      const before = listing(dirname(state));
      const err = await startEntra({ state, port: running.port }).catch((e) => e);
      expect(err).toMatchObject({ code: "EADDRINUSE" });
      expect(listing(dirname(state))).toEqual(before);
    } finally {
      await running.stop();
      removeState(state);
    }
  });
});

describe("key material", () => {
  it("makes its CA, TLS and signing keys at first start, the private keys in a 0600 file, and reuses them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eca-life-"));
    const state = join(dir, "nested", "entra.json");
    const first = await startEntra({ state });
    await first.stop();
    expect(statSync(`${state}.keys.json`).mode & 0o777).toBe(0o600);
    expect(first.caPath).toBe(join(dir, "nested", "ca.pem"));
    expect(readFileSync(join(dir, "nested", "ca.pem"), "utf8")).toBe(first.caPem);
    expect(JSON.parse(readFileSync(`${state}.keys.json`, "utf8")).caPem).toBe(first.caPem);

    // A second state file in the folder has another CA: it gets <state>.ca.pem, and ca.pem stays the first's.
    const other = join(dir, "nested", "other.json");
    const otherPki = await seedPki(other, { caFile: false });
    const second = await startEntra({ state: other });
    const again = await startEntra({ state });
    try {
      expect(second.caPath).toBe(`${other}.ca.pem`);
      expect(readFileSync(second.caPath, "utf8")).toBe(otherPki.caPem);
      expect(again.caPath).toBe(first.caPath);
      expect(again.caPem).toBe(first.caPem);
      expect(readFileSync(first.caPath, "utf8")).toBe(first.caPem);
      expect(await trustsCaFile(again)).toBe(200);
      expect(await trustsCaFile(second)).toBe(200);
    } finally {
      await second.stop();
      await again.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses keys whose ca.pem is another CA, naming the file to delete, and completes an older keys file whose ca.pem matches", async () => {
    const state = await tempState();
    const pki = await seedPki(state);
    const { caPem, ...older } = pki; // keys files written before the CA was kept in them
    const keysPath = `${state}.keys.json`;
    const caPath = join(dirname(state), "ca.pem");
    writeFileSync(keysPath, JSON.stringify(older));
    writeFileSync(caPath, pki.signingCertPem); // a certificate that did not issue the server's
    const before = listing(dirname(state));
    const err = await startEntra({ state }).catch((e) => e);
    expect(err).toMatchObject({ name: "LocalEntraError", code: "ERR_KEYS_INVALID" });
    expect(err.message).toBe(
      `${keysPath} holds a server certificate that ${caPath} did not issue (another start overwrote ca.pem); delete it to make new key material (clients must then trust the new CA file)`,
    );
    expect(listing(dirname(state))).toEqual(before);

    writeFileSync(caPath, caPem);
    const entra = await startEntra({ state });
    await entra.stop();
    expect(JSON.parse(readFileSync(keysPath, "utf8")).caPem).toBe(caPem);
    expect(statSync(keysPath).mode & 0o777).toBe(0o600);
    removeState(state);
  });

  it.each([
    ["not JSON", () => "{", "is not valid JSON"],
    ["JSON without the keys", () => "{}", "does not hold serverCertPem"],
    ["null", () => "null", "does not hold serverCertPem"],
    ["keys that do not parse", (p: Pki) => JSON.stringify({ ...p, signingKeyPem: "x" }), "does not parse"],
    [
      "a server certificate its CA did not issue",
      (p: Pki) => JSON.stringify({ ...p, caPem: p.signingCertPem }),
      "its CA did not issue",
    ],
    ["no CA, with no ca.pem", (p: Pki) => JSON.stringify({ ...p, caPem: undefined }), "holds no CA and there is no"],
  ])("refuses a keys file holding %s, writing nothing", async (_, text, reason) => {
    const state = await tempState();
    const pki = await seedPki(state, { caFile: false });
    rmSync(join(dirname(state), "ca.pem"));
    writeFileSync(`${state}.keys.json`, text(pki));
    const before = listing(dirname(state));
    const err = await startEntra({ state }).catch((e) => e);
    expect(err).toMatchObject({ code: "ERR_KEYS_INVALID" });
    expect(err.message).toContain(reason);
    expect(err.message).toContain("delete it to make new key material");
    expectHolds(err.message, "PRIVATE KEY", "the message quotes the key", false);
    expect(listing(dirname(state))).toEqual(before);
    removeState(state);
  });
});

describe("the admin key", () => {
  it("is made at first start in a 0600 file beside the state file and reused after a restart", async () => {
    const first = await startEntra({ keep: true });
    await first.stop();
    expect(first.adminKeyPath).toBe(`${first.statePath}.admin-key`);
    expect(statSync(first.adminKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.adminKeyPath, "utf8").trim()).toBe(first.adminKey);
    expect(first.adminKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await startEntra({ state: first.statePath });
    expect(second.adminKey).toBe(first.adminKey);
    await second.stop();
    removeState(first.statePath);
  });

  it("refuses to start on an admin key file that holds no key, saying how to fix it", async () => {
    const state = await tempState();
    writeFileSync(`${state}.admin-key`, "short\n");
    const err = await startEntra({ state }).catch((e) => e);
    expect(err).toMatchObject({ code: "ERR_ADMIN_KEY_INVALID" });
    expect(err.message).toContain("delete it");
    expect(err.message).not.toContain("short");
    // The failed start released the lock.
    rmSync(`${state}.admin-key`);
    await (await startEntra({ state })).stop();
    removeState(state);
  });
});

describe("the state file", () => {
  it("starts on a valid state file it did not write itself", async () => {
    const state = await tempState();
    const { signingCertPem } = await seedPki(state);
    const assignment = {
      id: "66666666-6666-4666-8666-666666666666",
      appRoleId: "77777777-7777-4777-8777-777777777777",
      principalId: servicePrincipal.id,
      resourceId: servicePrincipal.id,
    };
    const valid = {
      ...stateWith({ keyCredentials: [credential({ key: signingCertPem })] }),
      servicePrincipals: [servicePrincipal],
      appRoleAssignments: [assignment],
    };
    writeFileSync(state, JSON.stringify(valid));
    const entra = await startEntra({ state });
    expect(entra.tenantId).toBe("11111111-1111-4111-8111-111111111111");
    expect(entra.admin.state.applications[0]?.keyCredentials).toHaveLength(1);
    await entra.stop();
    removeState(state);
  });

  it.each([
    ["not JSON", "{"],
    ["JSON of another shape", "{}"],
    ["null", "null"],
    ["holding an application whose appRoles is a string", JSON.stringify(stateWith({ appRoles: "x" }))],
    ["holding an application without an id", JSON.stringify(stateWith({ id: 5 }))],
    ["holding a tenant whose id is a number", JSON.stringify({ ...stateWith({}), tenants: [{ id: 5 }] })],
    ["holding a tenant that is null", JSON.stringify({ ...stateWith({}), tenants: [null] })],
    [
      "holding a key credential that is no certificate",
      JSON.stringify(stateWith({ keyCredentials: [credential({ key: "x" })] })),
    ],
    [
      "holding a key credential without dates",
      JSON.stringify(stateWith({ keyCredentials: [credential({ endDateTime: 5 })] })),
    ],
    ["holding a key credential that is a string", JSON.stringify(stateWith({ keyCredentials: ["x"] }))],
    ["holding keyCredentials that are no list", JSON.stringify(stateWith({ keyCredentials: {} }))],
    [
      "holding a service principal whose appId is a number",
      JSON.stringify({ ...stateWith({}), servicePrincipals: [{ ...servicePrincipal, appId: 5 }] }),
    ],
    ["holding an app role assignment that is a list", JSON.stringify({ ...stateWith({}), appRoleAssignments: [[]] })],
    [
      "holding an app role assignment without ids",
      JSON.stringify({ ...stateWith({}), appRoleAssignments: [{ id: 1 }] }),
    ],
  ])("refuses to start on a state file that is %s", async (_, text) => {
    const state = await tempState();
    writeFileSync(state, text);
    const err = await startEntra({ state }).catch((e) => e);
    expect(err).toMatchObject({ name: "LocalEntraError", code: "ERR_STATE_INVALID" });
    expect(err.message).toMatch(/delete (it|the file) to start empty/);
    expect(readFileSync(state, "utf8")).toBe(text);
    removeState(state);
  });

  it("keeps memory and file as they were when saving fails, answers 500 in Graph's shape, and keeps serving", async () => {
    const lines: string[] = [];
    const entra = await startEntra({ log: (l) => lines.push(l) });
    try {
      const client = await registerClient(entra, { grant: ["Data.Read"] });
      const before = entra.stateText();
      const apps = entra.admin.state.applications.length;
      mkdirSync(`${entra.statePath}.tmp`); // the save's temporary file cannot be written
      expect(() => entra.admin.createApplication({ displayName: "lost" })).toThrow(/EISDIR/);
      const res = await adminRequest(entra, "POST", "/graph/v1.0/applications", { json: { displayName: "lost" } });
      expect(res.status).toBe(500);
      expect(res.body.error).toMatchObject({ code: "generalException" });
      expect(entra.admin.state.applications).toHaveLength(apps);
      expect(entra.stateText()).toBe(before);
      expect(lines.join("\n")).toMatch(/^entra: unexpected Error .* on POST admin route$/);
      expectHolds(lines.join("\n"), entra.adminKey, "the output holds the admin key", false);
      expect((await goodTokenRequest(entra, client)).status).toBe(200);
    } finally {
      await entra.stop();
    }
  });
});

/** Drives the handler with an in-memory request and response: no port, no TLS. */
function drive(handler: ReturnType<typeof createHandler>, method: string, url: string, body = "") {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve) => {
    const req = Object.assign(Readable.from(body ? [Buffer.from(body)] : []), {
      method,
      url,
      headers: { authorization: "Bearer k" },
    });
    const res = {
      headersSent: false,
      status: 0,
      setHeader() {},
      writeHead(status: number) {
        this.status = status;
        this.headersSent = true;
        return this;
      },
      end(text?: string) {
        resolve({ status: this.status, body: text ? JSON.parse(text) : {} });
      },
    };
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
}

describe("createHandler, without a port", () => {
  let entra: TestEntra;
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(() => entra.stop());

  it("answers an unexpected failure with 500 in Entra's or Graph's shape and logs no request content", async () => {
    const lines: string[] = [];
    const failing = {
      get state(): never {
        throw new TypeError("assertion eyJsecret leaked?");
      },
    };
    const ctx = {
      admin: failing,
      adminKey: "k",
      signing: { key: entra.admin as never, kid: "kid", jwk: {}, certificateDerBase64: "" },
      host: () => "https://localhost:1",
      delayMs: 0,
      faults: { next: () => undefined, inject: () => true, clear: () => undefined },
      now: () => new Date(),
      log: (l: string) => lines.push(l),
    } as unknown as EntraContext;
    const handler = createHandler(ctx);
    const token = await drive(handler, "POST", "/t/oauth2/v2.0/token", "client_assertion=eyJsecret");
    expect(token.status).toBe(500);
    expect(token.body).toMatchObject({ error: "server_error", error_codes: [50000] });
    const graph = await drive(handler, "GET", "/graph/v1.0/applications");
    expect(graph.status).toBe(500);
    expect(graph.body).toMatchObject({ error: { code: "generalException" } });
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).not.toContain("eyJsecret");
    expect(lines[0]).toMatch(/^entra: unexpected TypeError at .* on POST token service route$/);
  });

  it("serves discovery from the real context with no socket at all", async () => {
    const ctx = {
      admin: entra.admin,
      adminKey: entra.adminKey,
      signing: { key: undefined, kid: "kid", jwk: { n: "n", e: "AQAB" }, certificateDerBase64: "MII" },
      host: () => "https://localhost:9",
      delayMs: 0,
      faults: { next: () => undefined },
      now: () => new Date(),
    } as unknown as EntraContext;
    const res = await drive(createHandler(ctx), "GET", `/${entra.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res).toMatchObject({ status: 200, body: { issuer: `https://localhost:9/${entra.tenantId}/v2.0` } });
  });
});

describe("the lifeline that stops the server when npm goes away", () => {
  it("reads a parent pid from /proc, and nothing for a process that is gone", async () => {
    expect(parentOf(process.pid)).toBe(process.ppid);
    expect(parentOf(await deadPid())).toBeUndefined();
  });

  it("watches its own parent link always, and the chain up to npm only under npm", () => {
    expect(lineage(false)).toEqual([{ pid: process.pid, ppid: process.ppid }]);
    const chain = lineage(true, 3);
    expect(chain[0]).toEqual({ pid: process.pid, ppid: process.ppid });
    expect(chain.length).toBeLessThanOrEqual(3);
    // Each link is the parent of the one before it.
    for (const [i, link] of chain.slice(1).entries()) expect(link.pid).toBe(chain[i]?.ppid);
    expect(broken(chain)).toBe(false);
  });

  it("calls back once when a watched link breaks, and never while the chain holds", async () => {
    let calls = 0;
    const dead = await deadPid();
    vi.useFakeTimers();
    try {
      const gone = watchLineage(() => calls++, { links: [{ pid: dead, ppid: process.pid }], intervalMs: 5 });
      const holds = watchLineage(() => calls++, { underNpm: false, intervalMs: 5 });
      vi.advanceTimersByTime(50);
      expect(calls).toBe(1);
      gone.stop();
      holds.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it("counts a link as broken when its process is gone or has a new parent", async () => {
    expect(broken([{ pid: await deadPid(), ppid: process.pid }])).toBe(true);
    expect(broken([{ pid: process.pid, ppid: process.ppid + 1 }])).toBe(true);
  });
});
