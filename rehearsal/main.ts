import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runEngine } from "./engineAdapter";
import { exitCodes, RehearsalError, RehearsalInputError } from "./errors";
import { type RehearsalIO, type RehearsalOptions, runRehearsal } from "./rehearsal";

export const usage = `usage: npm start -- [--stack-config Pulumi.<stack>.yaml] [--config key=value ...] [--preview]
                 [--dir <folder>] [--fresh] [--rotate] [--propagation-delay <seconds>] [--timeout <seconds>]

Runs the real program (index.ts) the way \`pulumi up\` does, against a local
Entra ID with real keys and certificates, then verifies it with msal-node.
Nothing reaches Azure. The folder keeps the stack: a second run updates it.

  --stack-config <file>     read config from a stack file (config: entra-cert-auth:key: value)
  --config key=value        as \`pulumi config set key value\` (a string); key[0]=v as --path (repeatable)
  --preview                 print the plan (create/update/replace/delete/same) and change nothing
  --dir <folder>            the rehearsal's folder (default .rehearsal); never someone else's
  --fresh                   start the stack over (deletes only what the rehearsal wrote there)
  --rotate                  then rotate the certificate and show that a credential works at every step
  --propagation-delay <s>   make new apps and credentials usable only after <s> seconds, as in a real tenant
  --timeout <s>             verify's deadline (default 120)

Exit codes: verify's (0 verified, 2-6); 2 also for bad arguments, config, a failed preview
or an unusable folder; 7 update failed; 8 rotation gap; 130 interrupted.`;

export function parseOptions(argv: string[]): RehearsalOptions | "help" {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (err) {
    throw new RehearsalInputError(`${(err instanceof Error ? err.message : String(err)).split("\n")[0]}; see --help`);
  }
  const { values } = parsed;
  if (values.help) return "help";
  const delay = Number(values["propagation-delay"]);
  const timeout = Number(values.timeout);
  if (!Number.isFinite(delay) || delay < 0)
    throw new RehearsalInputError("--propagation-delay must be 0 or more seconds");
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new RehearsalInputError("--timeout must be a positive number of seconds");
  return {
    dir: resolve(values.dir),
    config: values.config,
    stackFile: values["stack-config"] === undefined ? undefined : resolve(values["stack-config"]),
    preview: values.preview,
    fresh: values.fresh,
    propagationDelaySeconds: delay,
    rotate: values.rotate,
    timeoutSeconds: timeout,
  };
}

const parseRaw = (argv: string[]) =>
  parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: "string", multiple: true, default: [] },
      "stack-config": { type: "string" },
      preview: { type: "boolean", default: false },
      fresh: { type: "boolean", default: false },
      "propagation-delay": { type: "string", default: "0" },
      rotate: { type: "boolean", default: false },
      dir: { type: "string", default: ".rehearsal" },
      timeout: { type: "string", default: "120" },
      help: { type: "boolean", short: "h", default: false },
    },
  });

export interface MainIO {
  cwd: string;
  out(line: string): void;
  err(line: string): void;
  runEngine?: RehearsalIO["runEngine"];
  signal?: AbortSignal;
}

/** The CLI in-process: parse, run, turn a typed error into one line and an exit code. Never exits. */
export async function main(argv: string[], io: MainIO): Promise<number> {
  const started = performance.now();
  try {
    const options = parseOptions(argv);
    if (options === "help") {
      io.out(usage);
      return 0;
    }
    const { exitCode, phases } = await runRehearsal(options, {
      cwd: io.cwd,
      say: (line) => io.out(`rehearsal: ${line}`),
      runEngine: io.runEngine ?? runEngine,
      signal: io.signal,
    });
    const timings = Object.entries(phases)
      .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
      .join(", ");
    io.out(
      `rehearsal: ${exitCode === 0 ? "done" : `failed (exit ${exitCode})`} in ${((performance.now() - started) / 1000).toFixed(1)} s (${timings})`,
    );
    return exitCode;
  } catch (err) {
    if (err instanceof RehearsalError) {
      io.err(`rehearsal: ${err.message}`);
      return err.exitCode;
    }
    // Unexpected: the name and first line only, never a stack that could hold values.
    const e = err instanceof Error ? err : new Error(String(err));
    io.err(`rehearsal: unexpected ${e.name}: ${e.message.split("\n")[0]}`);
    return 1;
  }
}

// The executable: signals abort the run (the engine checkpoints and stops), then main's code is the exit code.
if (require.main === module) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  main(process.argv.slice(2), {
    cwd: process.cwd(),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    signal: controller.signal,
  }).then((code) => {
    process.exitCode = controller.signal.aborted && code === 0 ? exitCodes.interrupted : code;
  });
}
