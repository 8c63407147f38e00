import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { RehearsalInputError } from "./config";
import { type RehearsalOptions, runRehearsal } from "./rehearsal";

const usage = `usage: npm start -- [--config key=value ...] [--propagation-delay <seconds>] [--rotate] [--dir <folder>] [--timeout <seconds>]

Deploys the real program (index.ts) into a local Entra ID with real keys and
certificates, then verifies it with msal-node. Nothing reaches Azure.

  --config key=value        override a Pulumi.yaml setting (repeatable), e.g. --config keySize=3072
  --propagation-delay <s>   make new apps and credentials usable only after <s> seconds, as in a real tenant
  --rotate                  then rotate the certificate and show that a credential works at every step
  --dir <folder>            where to leave outputs.json, entra.json and ca.pem (default .rehearsal)
  --timeout <s>             verify's deadline (default 120)

Exit codes: verify's (0 verified, 2-6), 2 also for a config error, 7 deployment failed, 8 rotation gap.`;

function parse(argv: string[]): RehearsalOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        config: { type: "string", multiple: true, default: [] },
        "propagation-delay": { type: "string", default: "0" },
        rotate: { type: "boolean", default: false },
        dir: { type: "string", default: ".rehearsal" },
        timeout: { type: "string", default: "120" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new RehearsalInputError(`${(err as Error).message.split("\n")[0]}; see --help`);
  }
  if (values.help) return "help";
  const delay = Number(values["propagation-delay"]);
  const timeout = Number(values.timeout);
  if (!Number.isFinite(delay) || delay < 0)
    throw new RehearsalInputError(`--propagation-delay ${values["propagation-delay"]} must be 0 or more seconds`);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new RehearsalInputError(`--timeout ${values.timeout} must be a positive number of seconds`);
  return {
    dir: values.dir!,
    config: values.config as string[],
    propagationDelaySeconds: delay,
    rotate: values.rotate!,
    timeoutSeconds: timeout,
  };
}

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parse(argv);
  } catch (err) {
    console.error(`rehearsal: ${(err as Error).message}`);
    return 2;
  }
  if (options === "help") return (console.log(usage), 0);
  const started = Date.now();
  try {
    const { exitCode, phases } = await runRehearsal({ ...options, dir: resolve(options.dir) }, (line) =>
      console.log(`rehearsal: ${line}`),
    );
    const timings = Object.entries(phases)
      .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
      .join(", ");
    console.log(
      `rehearsal: ${exitCode === 0 ? "done" : `failed (exit ${exitCode})`} in ${((Date.now() - started) / 1000).toFixed(1)} s (${timings})`,
    );
    return exitCode;
  } catch (err) {
    if (err instanceof RehearsalInputError) return (console.error(`rehearsal: ${err.message}`), err.exitCode);
    console.error(`rehearsal: unexpected ${(err as Error).name}: ${(err as Error).message.split("\n")[0]}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => (process.exitCode = code));
