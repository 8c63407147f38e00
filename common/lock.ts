import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "./errors";

/** A state file another running server holds. Exit code 1: the server cannot start. */
export class StateLockedError extends CliError {
  constructor(message: string) {
    super("ERR_STATE_LOCKED", 1, message);
  }
}

/** How a refusal reads: the server's name in it, and the typed error each server throws. */
export interface LockOptions {
  /** e.g. "local Entra ID", "local Key Vault". */
  server?: string;
  /** The error to throw; a StateLockedError by default. */
  refuse?: (message: string) => Error;
}

/** Holds `<state>.lock` while a server uses the state file. */
export interface StateLock {
  path: string;
  release(): void;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat);
 * undefined where there is no /proc. With the pid it names one process for
 * good: a pid the system reused after the server died has another start time.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may hold spaces: count fields after it (field 3 is the first).
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return /^\d+$/.test(start ?? "") ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the lock's owner is still running: its pid is alive and, where
 * /proc tells, started when the lock says. A lock without a start time
 * (hand-made, or written by an older version) cannot prove its owner, so on
 * Linux it counts as stale.
 */
function ownerRunning(pid: number, recordedStart: string | undefined): boolean {
  if (!alive(pid)) return false;
  const start = startTimeOf(pid);
  if (start === undefined) return !existsSync("/proc/self/stat");
  return start === recordedStart;
}

/** Removes the folders `lockState` made, if they are still empty (a refused start leaves none behind). */
function removeEmpty(from: string, upTo: string | undefined): void {
  if (!upTo) return;
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === upTo || dirname(dir) === dir) return;
  }
}

/**
 * Takes the state file's lock: `<state>.lock` created exclusively, holding the
 * owner's pid and start time. A lock whose owner is gone (the server was
 * killed, even if its pid has been reused since) is taken over; a live owner,
 * this process included, means the start is refused, since two servers on one
 * file would overwrite each other's writes.
 */
export function lockState(statePath: string, options: LockOptions = {}): StateLock {
  const server = options.server ?? "server";
  const refuse = options.refuse ?? ((message: string) => new StateLockedError(message));
  const path = `${statePath}.lock`;
  const dir = dirname(statePath);
  const made = mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const owner = [process.pid, startTimeOf(process.pid)].filter((x) => x !== undefined).join(" ");
      writeFileSync(path, `${owner}\n`, { flag: "wx", mode: 0o600 });
      return {
        path,
        release: () => {
          rmSync(path, { force: true });
          removeEmpty(dir, made);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const [pidText = "", start] = readFileSync(path, "utf8").slice(0, 100).trim().split(/\s+/);
    const owner = /^\d{1,10}$/.test(pidText) ? Number(pidText) : 0;
    if (owner > 0 && ownerRunning(owner, start)) {
      throw refuse(
        `state file ${statePath} is in use by another ${server} (pid ${owner}); stop that one or pass another --state (if none is running, delete ${path})`,
      );
    }
    rmSync(path, { force: true }); // stale: its owner died without releasing it
  }
  throw refuse(`could not lock ${statePath}: ${path} keeps reappearing`);
}
