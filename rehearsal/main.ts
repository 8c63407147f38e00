import { resolve } from "node:path";
import { type CliIO, type Command, type Flags, runCommand } from "../common/cli";
import { ArgumentError } from "../common/errors";
import { runEngine } from "./engine";
import { exitCodes } from "./errors";
import { closingTimings, type RehearsalIO, type RehearsalOptions, runRehearsal } from "./rehearsal";

export const usage = `usage: npm start -- [--stack-config Pulumi.<stack>.yaml] [--config key=value ...] [--preview]
                 [--dir <folder>] [--fresh] [--rotate] [--key-vault] [--propagation-delay <seconds>]
                 [--timeout <seconds>] [--program <folder>]

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
  --program <folder>        rehearse another Pulumi TypeScript program (a folder with its Pulumi.yaml), such as
                            examples/platform; its outputs are verified the same way (top-level or \`clients\`)
  --key-vault               Key Vault mode: the client's key is made in a local Key Vault, never exported,
                            and verify signs the client assertion through the vault

Exit codes: verify's (0 verified, 2-6); 2 also for bad arguments, config, a failed preview
or an unusable folder; 7 update failed; 8 rotation gap; 130 interrupted.`;

export const flags = {
  config: { type: "string", multiple: true },
  "stack-config": { type: "string" },
  preview: { type: "boolean", default: false },
  fresh: { type: "boolean", default: false },
  "propagation-delay": { type: "string", default: "0" },
  rotate: { type: "boolean", default: false },
  dir: { type: "string", default: ".rehearsal" },
  timeout: { type: "string", default: "120" },
  "key-vault": { type: "boolean", default: false },
  program: { type: "string" },
} as const;

/** Checks the parsed flags; paths are resolved against the working directory, as the user typed them there. */
export function parseOptions(values: Flags<typeof flags>, cwd: string): RehearsalOptions {
  // Plain decimal seconds only: Number() would also take "", "0x10" and "1e12".
  const seconds = (text: string) => (/^\d{1,6}(\.\d+)?$/.test(text) ? Number(text) : Number.NaN);
  const delay = seconds(values["propagation-delay"]);
  const timeout = seconds(values.timeout);
  if (!(delay >= 0 && delay <= 3600))
    throw new ArgumentError("--propagation-delay must be a number of seconds from 0 to 3600");
  if (!(timeout > 0 && timeout <= 86400))
    throw new ArgumentError("--timeout must be a positive number of seconds, at most 86400");
  if (values.preview && values.fresh)
    throw new ArgumentError("--preview changes nothing and --fresh deletes the stack: use one of them");
  const stackFile = values["stack-config"];
  return {
    dir: resolve(cwd, values.dir),
    config: values.config ?? [],
    stackFile: stackFile === undefined ? undefined : resolve(cwd, stackFile),
    preview: values.preview,
    fresh: values.fresh,
    propagationDelaySeconds: delay,
    rotate: values.rotate,
    timeoutSeconds: timeout,
    keyVault: values["key-vault"],
    ...(values.program === undefined ? {} : { program: resolve(cwd, values.program) }),
  };
}

/** What the rehearsal needs beyond the common CLI edge; tests pass their own engine and signal. */
export interface RehearsalDeps {
  cwd: string;
  runEngine?: RehearsalIO["runEngine"];
  signal?: AbortSignal;
}

/** `npm start` as a command of the project's one CLI shape (common/cli). */
export function rehearsalCommand(deps: RehearsalDeps): Command<typeof flags, RehearsalOptions> {
  return {
    name: "rehearsal",
    usage,
    flags,
    parse: (values) => parseOptions(values, deps.cwd),
    async run(options, io) {
      const started = performance.now();
      const { exitCode, phases } = await runRehearsal(options, {
        cwd: deps.cwd,
        say: (line) => io.stdout.write(`rehearsal: ${line}\n`),
        runEngine: deps.runEngine ?? runEngine,
        signal: deps.signal,
      });
      const timings = closingTimings(phases);
      io.stdout.write(
        `rehearsal: ${exitCode === 0 ? "done" : `failed (exit ${exitCode})`} in ${((performance.now() - started) / 1000).toFixed(1)} s (${timings})\n`,
      );
      return exitCode;
    },
  };
}

/** The CLI in-process: parse, run, turn a typed error into one line and an exit code. Never exits. */
export function main(argv: string[], io: CliIO, deps: RehearsalDeps): Promise<number> {
  return runCommand(rehearsalCommand(deps), argv, io);
}

// The executable: a signal aborts the run (the engine stops between steps and checkpoints), then the exit code.
// `npm start` execs this process (package.json), so a signal sent to npm alone (a CI job's cancel) reaches it
// through npm's forwarding; without exec, dash would stand between them, die of the signal and leave the run going.
// The handlers stay installed: Ctrl+C in a terminal reaches this process twice under npm (from the terminal and
// forwarded by npm), and a second SIGINT with no handler would kill it mid-step.
if (require.main === module) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin };
  main(process.argv.slice(2), io, { cwd: process.cwd(), signal: controller.signal }).then((code) => {
    process.exitCode = controller.signal.aborted && code === 0 ? exitCodes.interrupted : code;
  });
}
