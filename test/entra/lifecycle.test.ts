import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LocalEntraError } from "../../entra/errors";
import { broken, lineage, parentOf, watchLineage } from "../../entra/lifeline";
import { createHandler, type EntraContext } from "../../entra/routes";
import { adminRequest, goodTokenRequest, registerClient, seedPki, startEntra, type TestEntra } from "../support/entra";

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
    writeFileSync(`${state}.lock`, `${await deadPid()}\n`);
    const entra = await startEntra({ state });
    expect(readFileSync(`${state}.lock`, "utf8").trim()).toBe(String(process.pid));
    await entra.stop();
    expect(() => statSync(`${state}.lock`)).toThrow(/ENOENT/);
    removeState(state);
  });
});

describe("key material", () => {
  it("makes its CA, TLS and signing keys at first start, the private keys in a 0600 file, and reuses them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eca-life-"));
    const state = join(dir, "nested", "entra.json");
    const first = await startEntra({ state });
    await first.stop();
    expect(statSync(`${state}.keys.json`).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "nested", "ca.pem"), "utf8")).toBe(first.caPem);
    const second = await startEntra({ state });
    expect(second.caPem).toBe(first.caPem);
    await second.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the admin key (contract 2)", () => {
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
    writeFileSync(state, JSON.stringify(stateWith({})));
    const entra = await startEntra({ state });
    expect(entra.tenantId).toBe("11111111-1111-4111-8111-111111111111");
    await entra.stop();
    removeState(state);
  });

  it.each([
    ["not JSON", "{"],
    ["JSON of another shape", "{}"],
    ["null", "null"],
    ["holding an application whose appRoles is a string", JSON.stringify(stateWith({ appRoles: "x" }))],
    ["holding an application without an id", JSON.stringify(stateWith({ id: 5 }))],
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
      expect(lines.join("\n")).not.toContain(entra.adminKey);
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
    for (let i = 1; i < chain.length; i++) expect(chain[i].pid).toBe(chain[i - 1].ppid);
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
