import { readFileSync } from "node:fs";

/**
 * Why this exists: `npm run entra` starts `sh -c "<script>"`, and npm 11
 * forwards SIGTERM and SIGINT to that shell only (@npmcli/run-script's
 * signal-manager). Seen here with npm 11.19 and dash: SIGTERM to npm kills the
 * shell and leaves the server orphaned and listening; SIGINT to npm is held by
 * the shell and stops nothing. Two measures, both needed:
 * - the script starts with `exec`, so the shell becomes the server's process
 *   and npm's forwarded signal reaches it (SIGINT and SIGTERM);
 * - the server watches the chain of processes that started it, up to npm, and
 *   stops when a link breaks (a process in it died and its child was
 *   re-parented): npm killed with SIGKILL, or a script without `exec`.
 */

/** The parent pid of `pid`, from /proc (Linux); undefined if it is gone or there is no /proc. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 4 (ppid) follows the state after the command name, which is in parentheses and may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
};

export interface Link {
  pid: number;
  ppid: number;
}

/**
 * The links to watch: this process and its parent always; under npm (it sets
 * `npm_lifecycle_event`) every ancestor link up to the npm process, at most
 * `maxDepth` of them.
 */
export function lineage(underNpm: boolean, maxDepth = 5): Link[] {
  const links: Link[] = [{ pid: process.pid, ppid: process.ppid }];
  if (!underNpm) return links;
  let current = process.ppid;
  while (links.length < maxDepth && current > 1 && !commandOf(current).startsWith("npm")) {
    const ppid = parentOf(current);
    if (ppid === undefined || ppid <= 1) break;
    links.push({ pid: current, ppid });
    current = ppid;
  }
  return links;
}

/** True once a process in the chain is gone or has a new parent. */
export const broken = (links: Link[]) =>
  links.some((l) => (l.pid === process.pid ? process.ppid !== l.ppid : parentOf(l.pid) !== l.ppid));

/** Calls `onGone` once when a watched link breaks; polls, unreferenced so it never keeps the process alive. */
export function watchLineage(
  onGone: () => void,
  options: { underNpm?: boolean; intervalMs?: number; links?: Link[] } = {},
) {
  const links = options.links ?? lineage(options.underNpm ?? process.env.npm_lifecycle_event !== undefined);
  const timer = setInterval(() => {
    if (!broken(links)) return;
    clearInterval(timer);
    onGone();
  }, options.intervalMs ?? 250);
  timer.unref();
  return { links, stop: () => clearInterval(timer) };
}
