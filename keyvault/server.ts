import { STATUS_CODES } from "node:http";
import { createServer, type Server } from "node:https";
import type { Duplex } from "node:stream";
import { loadAdminKey } from "../common/adminKey";
import { listenLoopback, withStateLock } from "../common/loopback";
import { akv, type KeyVaultError, LocalKeyVaultError } from "./errors";
import { loadPki } from "./pki";
import type { RoleName } from "./rbac";
import { assignRoles, createHandler, roleAssignmentList } from "./routes";
import { readStore } from "./store";
import { tokenChecker } from "./token";

export type { RoleName } from "./rbac";
export { roleNames } from "./rbac";

export interface LocalKeyVaultOptions {
  /** JSON state file (the vault's objects, soft-deleted ones, role assignments); mode 0600, it holds keys. */
  state: string;
  /** Whose tokens it trusts: the local Entra ID's authority host (`https://localhost:<port>`), tenant and CA. */
  entra: { authorityHost: string; tenantId: string; caPem: string };
  /** 0 / absent = a free port; binds 127.0.0.1 only. */
  port?: number;
  /** Injected clock (token exp/nbf, certificate validity, deletedDate). */
  now?: () => Date;
  /** Where unexpected errors are reported; stderr by default. */
  log?: (line: string) => void;
}

/** A running local Key Vault. */
export interface LocalKeyVault {
  /** `https://localhost:<port>`: what SDK clients take as vaultUrl. */
  vaultUrl: string;
  port: number;
  /** The CA that issued the server's certificate (`<state>.ca.pem`): trust this, for this host only. */
  caPem: string;
  caPath: string;
  /** The bearer key of `/_local/...`; a secret. */
  adminKey: string;
  /** `<state>.admin-key`, mode 0600. */
  adminKeyPath: string;
  /** The tenant whose tokens it accepts. */
  tenantId: string;
  /** In-process role assignment, the same as `PUT /_local/roleAssignments/<principal>`; `[]` removes. */
  assignRoles(principalId: string, roles: RoleName[]): void;
  roleAssignments(): { principalId: string; roles: RoleName[] }[];
  stop(): Promise<void>;
}

/**
 * Starts the local Key Vault on 127.0.0.1 only. The state file is locked for the server's life: a second
 * start on it throws `LocalKeyVaultError` with code `ERR_STATE_LOCKED`. Everything is read and checked,
 * and the port bound, before anything is written: a refused start leaves the folder as it was.
 */
export async function start(options: LocalKeyVaultOptions): Promise<LocalKeyVault> {
  return withStateLock(
    options.state,
    { server: "local Key Vault", refuse: (message) => new LocalKeyVaultError("ERR_STATE_LOCKED", message) },
    (release) => listen(options, release),
  );
}

async function listen(options: LocalKeyVaultOptions, release: () => void): Promise<LocalKeyVault> {
  const now = options.now ?? (() => new Date());
  const store = readStore(options.state);
  const key = loadAdminKey(options.state, (message) => new LocalKeyVaultError("ERR_ADMIN_KEY_INVALID", message));
  const loaded = await loadPki(options.state);
  const issuer = { ...options.entra, authorityHost: options.entra.authorityHost.replace(/\/+$/, "") };
  let vaultUrl = "";
  const handler = createHandler({
    store,
    adminKey: key.adminKey,
    issuer,
    checkToken: tokenChecker(issuer, now),
    vaultUrl: () => vaultUrl,
    now,
    log: options.log,
  });
  const server = createServer({ cert: loaded.pki.serverCertPem, key: loaded.pki.serverKeyPem }, handler);
  answerUnparsed(server);
  const bound = await listenLoopback(
    server,
    options.port,
    () => {
      store.save();
      key.save();
      return loaded.save();
    },
    release,
  );
  vaultUrl = `https://localhost:${bound.port}`;
  return {
    vaultUrl,
    port: bound.port,
    caPem: loaded.pki.caPem,
    caPath: bound.saved,
    adminKey: key.adminKey,
    adminKeyPath: key.adminKeyPath,
    tenantId: issuer.tenantId,
    assignRoles: (principalId, roles) => assignRoles({ store }, principalId, roles),
    roleAssignments: () => roleAssignmentList(store.state.roleAssignments),
    stop: bound.stop,
  };
}

/**
 * What node's HTTP parser refuses never reaches the handler: a method it does not know, a path with raw non-ASCII
 * bytes, header fields past its limit, bytes that are no HTTP, CONNECT. Node would answer those with a bare 400
 * (or drop CONNECT); here they get Key Vault's error body too, and the connection is closed.
 */
function answerUnparsed(server: Server): void {
  const answered = new WeakSet<Duplex>();
  const answer = (socket: Duplex, err: KeyVaultError) => {
    // Answered already: the parser refuses the rest of what the client sends too; that is read and dropped below.
    if (answered.has(socket)) return;
    // As node's own answer does (nodejs/node lib/_http_server.js socketOnError): never into an answer already begun.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (!socket.writable || inFlight) return socket.destroy();
    answered.add(socket);
    // A client may still be sending (64 KiB of headers past the parser's limit): the socket is read to the client's
    // end, since closing it with unread bytes would reset the connection before the client reads the answer (seen
    // on Node 24). A client that never stops is cut off after a few seconds.
    socket.on("data", () => {});
    socket.resume();
    setTimeout(() => socket.destroy(), 5_000).unref();
    const body = JSON.stringify(err.body);
    socket.end(
      [
        `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ""}`,
        "Content-Type: application/json; charset=utf-8",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Connection: close",
        "",
        body,
      ].join("\r\n"),
    );
  };
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A peer that reset the connection gets nothing: there is no one to answer.
    if (err.code === "ECONNRESET") return socket.destroy();
    if (err.code === "HPE_HEADER_OVERFLOW") return answer(socket, akv.headersTooLarge());
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") return answer(socket, akv.requestTimeout());
    answer(socket, akv.notHttp());
  });
  server.on("connect", (_req, socket: Duplex) => answer(socket, akv.badRoute("CONNECT", "/{…}")));
}
