import { parseArgs } from "node:util";
import { LocalEntraError } from "./errors";
import { watchLineage } from "./lifeline";
import { type LocalEntra, start } from "./server";

const usage = "usage: npm run entra -- --state <file> [--port N] [--propagation-delay <seconds>]";

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** A bad command line: printed with the usage, exit code 2. */
class UsageError extends Error {
  readonly code = "ERR_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function options(argv: string[]) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) return { help: true as const };
  const port = Number(values.port);
  const delay = Number(values["propagation-delay"]);
  if (!values.state) throw new UsageError("--state is required");
  if (!/^\d+$/.test(values.port) || port > 65535)
    throw new UsageError(`--port ${values.port.slice(0, 16)} is not a port number (0-65535; 0 picks a free one)`);
  if (!Number.isFinite(delay) || delay < 0 || values["propagation-delay"].trim() === "")
    throw new UsageError(`--propagation-delay ${values["propagation-delay"].slice(0, 16)} must be 0 or more seconds`);
  return { help: false as const, state: values.state, port, delay };
}

const parse = (argv: string[]) =>
  parseArgs({
    args: argv,
    options: {
      state: { type: "string" },
      port: { type: "string", default: "0" },
      "propagation-delay": { type: "string", default: "0" },
      help: { type: "boolean" },
    },
    strict: true,
  });

/**
 * `npm run entra`: serve a directory until `stop` resolves (by default on
 * SIGINT, SIGTERM, SIGHUP, or when the processes that started it go away).
 * Returns the exit code: 0 stopped cleanly, 1 could not start, 2 bad arguments.
 */
export async function main(
  argv: string[],
  io: Io = consoleIo,
  stop: (entra: LocalEntra) => Promise<unknown> = stopSignals,
): Promise<number> {
  try {
    const o = options(argv);
    if (o.help) {
      io.out(usage);
      return 0;
    }
    const entra = await start({ state: o.state, port: o.port, propagationDelaySeconds: o.delay });
    // Listen before printing: a supervisor may signal as soon as it reads the lines.
    const stopped = stop(entra);
    io.out(`authority host: ${entra.authorityHost}`);
    io.out(`tenant: ${entra.tenantId}`);
    io.out(`authority: ${entra.authorityHost}/${entra.tenantId}`);
    io.out(`CA file: ${entra.caPath}`);
    io.out(`admin key file: ${entra.adminKeyPath}`);
    io.out("serving on 127.0.0.1; Ctrl+C stops");
    await stopped;
    await entra.stop();
    io.out("stopped");
    return 0;
  } catch (err) {
    const [message, code] = report(err);
    io.err(`entra: ${message}`);
    return code;
  }
}

/** A typed error as one line and an exit code; never an unknown error's message, which may quote input. */
function report(err: unknown): [string, number] {
  if (err instanceof UsageError) return [`${err.message}\n${usage}`, 2];
  if (err instanceof LocalEntraError) return [err.message, 1];
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "EADDRINUSE") return ["that --port is in use; pass another, or 0 for a free one", 1];
  return [`could not start (${e?.name ?? "error"}${e?.code ? ` ${e.code}` : ""})`, 1];
}

/**
 * Resolves on the first stop signal, or when npm (or whoever started the server) is gone.
 * The handlers stay installed: Ctrl+C reaches the server twice under npm (from the
 * terminal and forwarded), and a second SIGINT without a handler would kill it mid-stop.
 */
function stopSignals(): Promise<void> {
  return new Promise<void>((resolve) => {
    const lifeline = watchLineage(() => resolve());
    const done = () => {
      lifeline.stop();
      resolve();
    };
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, done);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
