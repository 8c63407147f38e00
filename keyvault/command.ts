import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "../common/cli";
import { ArgumentError } from "../common/errors";
import { pemBlocks } from "../common/pem";
import { isGuid, quotedPath } from "../common/safe";
import { serveUntilStopped, stopSignals } from "../common/serve";
import { LocalKeyVaultError } from "./errors";
import { type LocalKeyVault, start } from "./server";

export const usage = `usage: npm run keyvault -- --state <file> --entra <authority> [--entra-ca <file>] [--port N]

Serves an offline local Key Vault on https://localhost:<port> (127.0.0.1 only)
until Ctrl+C, SIGTERM or SIGHUP, or until npm (or whoever started it) is gone.
It accepts the access tokens of the local Entra ID named by --entra (audience
https://vault.azure.net). Beside the state file it keeps <state>.ca.pem (its own
CA), <state>.tls.json (its server key) and <state>.admin-key: the bearer key of
PUT /_local/roleAssignments/<principal object id> {"roles": [...]}.
The state file holds the certificates' private keys: it is written mode 0600.

  --state <file>       the vault's state file (created if missing; locked while serving)
  --entra <authority>  the local Entra ID's authority, https://localhost:<port>/<tenant id>
  --entra-ca <file>    the local Entra ID's CA (default: ca.pem in the state file's folder)
  --port <N>           0 (the default) picks a free port`;

export const flags = {
  state: { type: "string" },
  entra: { type: "string" },
  "entra-ca": { type: "string" },
  port: { type: "string", default: "0" },
} as const;

export interface KeyVaultOptions {
  state: string;
  authorityHost: string;
  tenantId: string;
  entraCaPath: string;
  port: number;
}

/** An argument could be anything pasted: a value is quoted only when it is a short number. */
const shown = (flag: string, s: string) => (/^-?\d{1,6}(\.\d{1,6})?$/.test(s) ? `${flag} ${s}` : flag);

function toOptions(values: { state?: string; entra?: string; "entra-ca"?: string; port?: string }): KeyVaultOptions {
  const port = values.port ?? "0";
  if (!values.state)
    throw new ArgumentError("--state is required (the vault's state file, e.g. .rehearsal/keyvault.json)");
  if (!values.entra)
    throw new ArgumentError(
      "--entra is required (the local Entra ID's authority, https://localhost:<port>/<tenant id>)",
    );
  const authority = URL.canParse(values.entra) ? new URL(values.entra) : undefined;
  const tenantId = authority?.pathname.replace(/^\/+|\/+$/g, "") ?? "";
  if (authority?.protocol !== "https:" || authority.username || authority.password || !isGuid(tenantId))
    throw new ArgumentError(
      "--entra must be an authority https://<host>:<port>/<tenant id> (the tenant id is a GUID): the authority: line npm run entra prints, not its authority host",
    );
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
    throw new ArgumentError(`${shown("--port", port)} is not a port number (0-65535; 0 picks a free one)`);
  return {
    state: values.state,
    authorityHost: authority.origin,
    tenantId: tenantId.toLowerCase(),
    entraCaPath: values["entra-ca"] ?? join(dirname(values.state), "ca.pem"),
    port: Number(port),
  };
}

function readEntraCa(path: string): string {
  const refuse = (what: string) => new LocalKeyVaultError("ERR_ENTRA_CA", `--entra-ca${quotedPath(path)} ${what}`);
  if (!existsSync(path))
    throw refuse("does not exist; pass the local Entra ID's CA file (its `CA file:` line) with --entra-ca");
  const text = readFileSync(path, "utf8");
  if (!pemBlocks(text).some((b) => b.startsWith("-----BEGIN CERTIFICATE-----")))
    throw refuse("holds no PEM certificate");
  return text;
}

/**
 * `npm run keyvault` as a command on the common CLI edge. `stop` decides when to stop serving (tests pass
 * their own); by default a signal or the end of the process chain that started it. Exit codes: 0 stopped
 * cleanly, 1 could not start (state in use, bad state file, port taken, no Entra CA), 2 bad arguments.
 */
export function keyVaultCommand(
  stop: (vault: LocalKeyVault) => Promise<unknown> = stopSignals,
): Command<typeof flags, KeyVaultOptions> {
  return {
    name: "keyvault",
    usage,
    flags,
    parse: toOptions,
    async run(o, io) {
      const caPem = readEntraCa(o.entraCaPath);
      const vault = await start({
        state: o.state,
        port: o.port,
        entra: { authorityHost: o.authorityHost, tenantId: o.tenantId, caPem },
      }).catch((err: NodeJS.ErrnoException) => {
        if (err?.code === "EADDRINUSE")
          throw new LocalKeyVaultError(
            "ERR_PORT_IN_USE",
            `--port ${o.port} is in use; pass another, or 0 for a free one`,
          );
        throw err;
      });
      return serveUntilStopped(
        vault,
        [
          `vault URL: ${vault.vaultUrl}`,
          `tenant: ${vault.tenantId}`,
          `CA file: ${vault.caPath}`,
          `admin key file: ${vault.adminKeyPath}`,
        ],
        io,
        stop,
      );
    },
  };
}
