import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalKeyVaultError } from "../../keyvault/errors";
import { start } from "../../keyvault/server";
import { startEntra, type TestEntra } from "../support/entra";
import { createBody, startVault, vaultRequest, vaultToken } from "../support/keyvault";

describe("the local Key Vault's state", () => {
  let entra: TestEntra;
  let dir: string;
  beforeAll(async () => {
    entra = await startEntra();
    dir = mkdtempSync(join(tmpdir(), "eca-kv-life-"));
  });
  afterAll(async () => {
    await entra?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const trust = () => ({ authorityHost: entra.authorityHost, tenantId: entra.tenantId, caPem: entra.caPem });

  it("refuses a second server on the same state file, and starts again once the first stopped", async () => {
    const state = join(dir, "locked.json");
    const first = await start({ state, entra: trust() });
    try {
      const second = await start({ state, entra: trust() }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(LocalKeyVaultError);
      expect(second).toMatchObject({ code: "ERR_STATE_LOCKED" });
      expect((second as Error).message).toMatch(/is in use by another local Key Vault \(pid \d+\)/);
    } finally {
      await first.stop();
    }
    expect(existsSync(`${state}.lock`)).toBe(false);
    const again = await start({ state, entra: trust() });
    await again.stop();
  });

  it("keeps its CA, admin key, certificates and role assignments across a restart", async () => {
    const state = join(dir, "restart.json");
    const first = await start({ state, entra: trust() });
    first.assignRoles("11111111-1111-1111-1111-111111111111", ["Key Vault Reader"]);
    await first.stop();
    const second = await start({ state, entra: trust() });
    try {
      expect(second.caPem).toBe(first.caPem);
      expect(second.caPath).toBe(`${state}.ca.pem`);
      expect(readFileSync(second.caPath, "utf8")).toBe(first.caPem);
      expect(second.adminKey).toBe(first.adminKey);
      expect(second.roleAssignments()).toEqual([
        { principalId: "11111111-1111-1111-1111-111111111111", roles: ["Key Vault Reader"] },
      ]);
    } finally {
      await second.stop();
    }
  });

  it("refuses a state file that is not a vault's, writing nothing and releasing the lock", async () => {
    const state = join(dir, "foreign.json");
    writeFileSync(state, JSON.stringify({ tenants: [] }));
    const err = await start({ state, entra: trust() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "LocalKeyVaultError", code: "ERR_STATE_INVALID" });
    expect(readFileSync(state, "utf8")).toBe(JSON.stringify({ tenants: [] }));
    expect(existsSync(`${state}.lock`)).toBe(false);
    expect(existsSync(`${state}.ca.pem`)).toBe(false);
    expect(existsSync(`${state}.admin-key`)).toBe(false);
  });

  it("refuses a port in use, leaving no files behind", async () => {
    const taken = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const port = (taken.address() as { port: number }).port;
    const state = join(dir, "port.json");
    try {
      await expect(start({ state, entra: trust(), port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      taken.close();
    }
    expect(existsSync(state)).toBe(false);
    expect(existsSync(`${state}.tls.json`)).toBe(false);
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it("answers 503, not 500, when the Entra ID's keys cannot be read, and still challenges a request without a token", async () => {
    const state = join(dir, "no-entra.json");
    const vault = await start({
      state,
      entra: { authorityHost: "https://localhost:1", tenantId: entra.tenantId, caPem: entra.caPem },
      log: () => {},
    });
    try {
      const token = await new SignJWT({ aud: "https://vault.azure.net" })
        .setProtectedHeader({ alg: "RS256", kid: "k" })
        .sign(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
      const res = await vaultRequest(vault, "GET", "/certificates", { token });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("ServiceUnavailable");
      expect((await vaultRequest(vault, "GET", "/certificates")).status).toBe(401);
    } finally {
      await vault.stop();
    }
  });
});

describe("the local Key Vault after a restart", () => {
  it("still serves the certificates it issued, under its new port", async () => {
    const t = await startVault();
    try {
      const officer = await t.identity(["Key Vault Administrator"]);
      const token = await vaultToken(t, officer);
      expect(
        (await vaultRequest(t.vault, "POST", "/certificates/kept/create", { token, json: createBody() })).status,
      ).toBe(202);
      const before = await vaultRequest(t.vault, "GET", "/certificates/kept", { token });
      await t.vault.stop();
      const vault = await start({
        state: t.statePath,
        entra: { authorityHost: t.entra.authorityHost, tenantId: t.entra.tenantId, caPem: t.entra.caPem },
      });
      t.vault = vault;
      const after = await vaultRequest(vault, "GET", "/certificates/kept", { token });
      expect(after.body.cer).toBe(before.body.cer);
      expect(after.body.id).toBe(before.body.id.replace(/localhost:\d+/, `localhost:${vault.port}`));
    } finally {
      await t.stop();
    }
  });
});
