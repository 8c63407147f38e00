import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { createServer } from "node:https";
import { loadAdminKey } from "../common/adminKey";
import { listenLoopback, withStateLock } from "../common/loopback";
import { type DirectoryAdmin, directoryAdmin } from "./admin";
import { LocalEntraError } from "./errors";
import { type FaultQueue, faultQueue } from "./faults";
import { loadPki, x5tOf } from "./pki";
import { createHandler } from "./routes";
import { readStore } from "./store";

export interface StartOptions {
  /** The state file; the CA (`ca.pem`, or `<state>.ca.pem`), keys, admin key and lock are kept beside it. */
  state: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Seconds before a new application or key credential becomes usable. */
  propagationDelaySeconds?: number;
  /** The clock, for tests. */
  now?: () => Date;
  /** Where unexpected errors are reported; stderr by default. */
  log?: (line: string) => void;
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
  /** The bearer key every `/graph/...` and `/_local/...` request must carry; a secret. */
  adminKey: string;
  /** `<state>.admin-key`, mode 0600. */
  adminKeyPath: string;
  admin: DirectoryAdmin;
  faults: FaultQueue;
  stop(): Promise<void>;
}

/**
 * Starts the local Entra ID on 127.0.0.1 only. The state file is locked for
 * the server's life: a second start on it throws `LocalEntraError` with code
 * `ERR_STATE_LOCKED`. Everything is read and checked, and the port bound,
 * before anything is written: a refused start leaves the folder as it was.
 */
export async function start(options: StartOptions): Promise<LocalEntra> {
  return withStateLock(
    options.state,
    { server: "local Entra ID", refuse: (message) => new LocalEntraError("ERR_STATE_LOCKED", message) },
    (release) => listen(options, release),
  );
}

async function listen(options: StartOptions, release: () => void): Promise<LocalEntra> {
  const now = options.now ?? (() => new Date());
  const store = readStore(options.state);
  const key = loadAdminKey(options.state, (message) => new LocalEntraError("ERR_ADMIN_KEY_INVALID", message));
  const { adminKey, adminKeyPath } = key;
  const loaded = await loadPki(options.state);
  const pki = loaded.pki;
  const admin = directoryAdmin(store, now);
  const faults = faultQueue();
  let host = "";
  // Parsed once: a token request signs with a ready KeyObject.
  const signingKey = createPrivateKey(pki.signingKeyPem);
  const handler = createHandler({
    admin,
    adminKey,
    faults,
    host: () => host,
    delayMs: (options.propagationDelaySeconds ?? 0) * 1000,
    now,
    log: options.log,
    signing: {
      key: signingKey,
      kid: x5tOf(pki.signingCertPem),
      jwk: createPublicKey(signingKey).export({ format: "jwk" }),
      certificateDerBase64: new X509Certificate(pki.signingCertPem).raw.toString("base64"),
    },
  });
  const server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, handler);
  const bound = await listenLoopback(
    server,
    options.port,
    () => {
      store.commit(store.state);
      key.save();
      return loaded.save();
    },
    release,
  );
  host = `https://localhost:${bound.port}`;
  return {
    authorityHost: host,
    port: bound.port,
    boundAddress: bound.address,
    tenantId: admin.tenantId,
    caPath: bound.saved,
    caPem: pki.caPem,
    adminKey,
    adminKeyPath,
    admin,
    faults,
    stop: bound.stop,
  };
}
