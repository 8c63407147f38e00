#!/usr/bin/env node
import { parseArgs } from "node:util";
import { start } from "./server";

const usage = "usage: npm run entra -- --state <file> [--port N] [--propagation-delay <seconds>]";

/** `npm run entra`: serve a directory until SIGINT or SIGTERM. */
async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        state: { type: "string" },
        port: { type: "string", default: "0" },
        "propagation-delay": { type: "string", default: "0" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`entra: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) return (console.log(usage), 0);
  const port = Number(values.port);
  const delay = Number(values["propagation-delay"]);
  if (!values.state) return (console.error(`entra: --state is required\n${usage}`), 2);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return (console.error(`entra: --port ${values.port} is not a port number (0-65535; 0 picks a free one)`), 2);
  if (!Number.isFinite(delay) || delay < 0)
    return (console.error(`entra: --propagation-delay ${values["propagation-delay"]} must be 0 or more seconds`), 2);

  const entra = await start({ state: values.state, port, propagationDelaySeconds: delay });
  // Listen before printing: a supervisor may signal as soon as it reads the lines.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log(`authority host: ${entra.authorityHost}`);
  console.log(`tenant: ${entra.tenantId}`);
  console.log(`authority: ${entra.authorityHost}/${entra.tenantId}`);
  console.log(`CA file: ${entra.caPath}`);
  console.log("serving on 127.0.0.1; Ctrl+C stops");
  await stopped;
  await entra.stop();
  console.log("stopped");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`entra: ${err.message}`);
    process.exitCode = 1;
  },
);
