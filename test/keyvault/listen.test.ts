import { connect as connectTcp } from "node:net";
import { networkInterfaces } from "node:os";
import { connect, type TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { vaultForFile } from "../support/keyvault";

/** The machine's own addresses other than loopback: where a vault bound to every interface would also answer. */
const otherAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i !== undefined && i.family === "IPv4" && !i.internal)
  .map((i) => i?.address ?? "");

const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connectTcp({ host, port, timeout: 2000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });

const handshake = (port: number, ca: string) =>
  new Promise<{ authorized: boolean; error?: string; subjectAltName?: string }>((resolve) => {
    const socket: TLSSocket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" });
    socket.once("secureConnect", () => {
      resolve({ authorized: socket.authorized, subjectAltName: socket.getPeerCertificate().subjectaltname });
      socket.destroy();
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve({ authorized: false, error: err.code }));
  });

describe("the local Key Vault's listener", () => {
  const v = vaultForFile(async () => ({}));

  it("listens on 127.0.0.1 only", async () => {
    expect(new URL(v.t.vault.vaultUrl).hostname).toBe("localhost");
    expect(await reachable("127.0.0.1", v.t.vault.port)).toBe(true);
    for (const address of otherAddresses) expect(await reachable(address, v.t.vault.port), address).toBe(false);
  });

  it("serves HTTPS for localhost under its own CA, which a client trusting only the Entra ID's CA refuses", async () => {
    const own = await handshake(v.t.vault.port, v.t.vault.caPem);
    expect(own.authorized).toBe(true);
    expect(own.subjectAltName).toContain("DNS:localhost");
    const entraOnly = await handshake(v.t.vault.port, v.t.entra.caPem);
    expect(entraOnly.authorized).toBe(false);
    expect(entraOnly.error).toMatch(/CERT|SIGNATURE|ISSUER/);
  });
});
