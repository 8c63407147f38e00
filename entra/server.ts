import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { type DirectoryAdmin, directoryAdmin } from "./admin";
import { type FaultQueue, faultQueue } from "./faults";
import { loadOrCreatePki, x5tOf } from "./pki";
import { createHandler } from "./routes";
import { openStore } from "./store";

export interface StartOptions {
  /** The state file; the CA (`ca.pem`) and keys are kept beside it. */
  state: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Seconds before a new application or key credential becomes usable. */
  propagationDelaySeconds?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

/** A running local Entra ID. */
export interface LocalEntra {
  /** `https://localhost:<port>`: the authority is this plus `/<tenantId>`. */
  authorityHost: string;
  port: number;
  /** The address it listens on: always 127.0.0.1. */
  boundAddress: string;
  tenantId: string;
  /** The CA that issued the server's certificate: trust this, and only for this host. */
  caPath: string;
  caPem: string;
  admin: DirectoryAdmin;
  faults: FaultQueue;
  stop(): Promise<void>;
}

/** Starts the local Entra ID on 127.0.0.1 only. */
export async function start(options: StartOptions): Promise<LocalEntra> {
  const pki = await loadOrCreatePki(options.state);
  const admin = directoryAdmin(openStore(options.state));
  const faults = faultQueue();
  let host = "";
  const signingKey = createPrivateKey(pki.signingKeyPem);
  const handler = createHandler({
    admin,
    faults,
    host: () => host,
    delayMs: (options.propagationDelaySeconds ?? 0) * 1000,
    now: options.now ?? (() => new Date()),
    signing: {
      key: signingKey,
      kid: x5tOf(pki.signingCertPem),
      jwk: createPublicKey(signingKey).export({ format: "jwk" }),
      certificateDerBase64: new X509Certificate(pki.signingCertPem).raw.toString("base64"),
    },
  });
  const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port, address: boundAddress } = server.address() as AddressInfo;
  host = `https://localhost:${port}`;
  return {
    authorityHost: host,
    port,
    boundAddress,
    tenantId: admin.tenantId,
    caPath: pki.caPath,
    caPem: pki.caPem,
    admin,
    faults,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and keep-alive connections would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}
