import type { CliIO } from "./cli";
import { watchLineage } from "./lifeline";

/** A started local server, as far as serving it until a stop needs. */
export interface Stoppable {
  stop(): Promise<unknown>;
}

/**
 * Resolves on the first stop signal, or when npm (or whoever started the server) is gone; see lifeline.ts.
 * The handlers stay installed: Ctrl+C reaches the server twice under npm (from the
 * terminal and forwarded), and a second SIGINT without a handler would kill it mid-stop.
 */
export function stopSignals(): Promise<void> {
  return new Promise<void>((resolve) => {
    const lifeline = watchLineage(() => resolve());
    const done = () => {
      lifeline.stop();
      resolve();
    };
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, done);
  });
}

/**
 * The serving edge of a local server's command: waits for `stop` (a signal by default, tests pass their
 * own), prints `lines` and the serving line, then stops the server and prints "stopped". Returns exit code 0.
 */
export async function serveUntilStopped<S extends Stoppable>(
  server: S,
  lines: readonly string[],
  io: Pick<CliIO, "stdout">,
  stop: (server: S) => Promise<unknown> = stopSignals,
): Promise<number> {
  const say = (line: string) => io.stdout.write(`${line}\n`);
  // Listen before printing: a supervisor may signal as soon as it reads the lines.
  const stopped = stop(server);
  for (const line of lines) say(line);
  say("serving on 127.0.0.1; Ctrl+C stops");
  await stopped;
  await server.stop();
  say("stopped");
  return 0;
}
