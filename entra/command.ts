import type { Command } from "../common/cli";
import { ArgumentError } from "../common/errors";
import { serveUntilStopped, stopSignals } from "../common/serve";
import { LocalEntraError } from "./errors";
import { type LocalEntra, start } from "./server";

export const usage = `usage: npm run entra -- --state <file> [--port N] [--propagation-delay <seconds>]

Serves an offline local Entra ID on https://localhost:<port> (127.0.0.1 only)
until Ctrl+C, SIGTERM or SIGHUP, or until npm (or whoever started it) is gone.
Beside the state file it keeps ca.pem (or <state>.ca.pem, when a ca.pem of
another CA is there), the keys, and <state>.admin-key: the bearer key every
/graph/... and /_local/... request must carry.

  --state <file>                 the directory's state file (created if missing; locked while serving)
  --port <N>                     0 (the default) picks a free port
  --propagation-delay <seconds>  how long a new application or key credential takes to become usable`;

export const flags = {
  state: { type: "string" },
  port: { type: "string", default: "0" },
  "propagation-delay": { type: "string", default: "0" },
} as const;

export interface EntraOptions {
  state: string;
  port: number;
  delay: number;
}

/**
 * An argument could be anything pasted, a secret included: a value is quoted
 * only when it is a short number, else only the flag is named.
 */
const shown = (flag: string, s: string) => (/^-?\d{1,6}(\.\d{1,6})?$/.test(s) ? `${flag} ${s}` : flag);

function toOptions(values: { state?: string; port?: string; "propagation-delay"?: string }): EntraOptions {
  const port = values.port ?? "0";
  const delay = values["propagation-delay"] ?? "0";
  if (!values.state) throw new ArgumentError("--state is required (the state file, e.g. .rehearsal/entra.json)");
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
    throw new ArgumentError(`${shown("--port", port)} is not a port number (0-65535; 0 picks a free one)`);
  if (delay.trim() === "" || !Number.isFinite(Number(delay)) || Number(delay) < 0)
    throw new ArgumentError(`${shown("--propagation-delay", delay)} must be 0 or more seconds`);
  return { state: values.state, port: Number(port), delay: Number(delay) };
}

/**
 * `npm run entra` as a command on the common CLI edge. `stop` decides when
 * to stop serving (tests pass their own); by default a signal or the end of
 * the process chain that started it. Exit codes: 0 stopped cleanly,
 * 1 could not start (state in use, bad state file, port taken), 2 bad arguments.
 */
export function entraCommand(
  stop: (entra: LocalEntra) => Promise<unknown> = stopSignals,
): Command<typeof flags, EntraOptions> {
  return {
    name: "entra",
    usage,
    flags,
    parse: toOptions,
    async run(o, io) {
      const entra = await start({ state: o.state, port: o.port, propagationDelaySeconds: o.delay }).catch(
        (err: NodeJS.ErrnoException) => {
          if (err?.code === "EADDRINUSE")
            throw new LocalEntraError(
              "ERR_PORT_IN_USE",
              `--port ${o.port} is in use; pass another, or 0 for a free one`,
            );
          throw err;
        },
      );
      return serveUntilStopped(
        entra,
        [
          `authority host: ${entra.authorityHost}`,
          `tenant: ${entra.tenantId}`,
          `authority: ${entra.authorityHost}/${entra.tenantId}`,
          `CA file: ${entra.caPath}`,
          `admin key file: ${entra.adminKeyPath}`,
        ],
        io,
        stop,
      );
    },
  };
}
