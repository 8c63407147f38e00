import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, createBody, startVault, type TestVault, vaultRequest } from "../support/keyvault";

/**
 * The vault's own output is its log of unexpected errors. Hostile or broken requests are expected: they are
 * answered, never logged, so no token or body a client sent can reach the output.
 */
describe("the local Key Vault's log under hostile requests", () => {
  let t: TestVault;
  let token: string;
  const log: string[] = [];
  beforeAll(async () => {
    t = await startVault({ log: (line) => log.push(line) });
    token = await adminToken(t);
  });
  afterAll(() => t?.stop());

  /** Sends the start of a request over TLS, then hangs up before the body it announced is complete. */
  const hangUpMidBody = () =>
    new Promise<void>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: t.vault.port, ca: t.vault.caPem, servername: "localhost" });
      socket.on("secureConnect", () => {
        socket.write(
          [
            "POST /certificates/abandoned/create?api-version=7.6 HTTP/1.1",
            "Host: localhost",
            `Authorization: Bearer ${token}`,
            "Content-Type: application/json",
            "Content-Length: 10000",
            "",
            '{"policy": {',
          ].join("\r\n"),
          () => setImmediate(() => socket.destroy()),
        );
      });
      socket.on("close", () => resolve());
      socket.on("error", () => undefined);
    });

  it("answers every request and logs nothing, however it is malformed or abandoned, so no token reaches its output", async () => {
    const call = (
      method: "GET" | "POST",
      path: string,
      options: { json?: unknown; raw?: string; apiVersion?: string },
    ) => vaultRequest(t.vault, method, path, { token, ...options });
    await hangUpMidBody();
    const answers = [
      await call("POST", "/certificates/leak/create", { raw: `{"policy": "${token}"` }),
      await call("POST", "/certificates/leak/create", { json: { ...createBody(), tags: { t: token } }, raw: token }),
      await call("GET", `/certificates/${token}`, {}),
      await call("GET", "/certificates", { apiVersion: token.slice(0, 200) }),
      await vaultRequest(t.vault, "GET", "/certificates", { token: `${token}x` }),
      await call("POST", "/keys/leak/0123456789abcdef0123456789abcdef/sign", { json: { alg: token, value: token } }),
    ];
    for (const res of answers) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(JSON.stringify(res.body)).not.toContain(token.slice(0, 40));
    }
    await hangUpMidBody();
    // Answered after both hang-ups were seen: the vault still serves, and its log is empty.
    expect((await call("GET", "/certificates", {})).status).toBe(200);
    expect(log).toEqual([]);
  });
});
