import { existsSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "./errors";
import { fileSystemProblem, makeDir } from "./makeDir";

/** A state file another running server holds. Exit code 1: the server cannot start. */
export class StateLockedError extends CliError {
  constructor(message: string) {
    super("ERR_STATE_LOCKED", 1, message);
  }
}

/** A state file in a folder that cannot be made or written (`--state /proc/nope/x.json`). Exit code 1. */
export class StateFolderError extends CliError {
  constructor(message: string) {
    super("ERR_STATE_FOLDER", 1, message);
  }
}

/** How a refusal reads: the server's name in it, and the typed error each server throws. */
export interface LockOptions {
  /** e.g. "local Entra ID", "local Key Vault". */
  server?: string;
  /** The error to throw; a StateLockedError by default. */
  refuse?: (message: string) => Error;
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

/** A lock file this process holds. */
export interface ProcessLock {
  path: string;
  /** Removes the lock file. */
  release(): void;
}

/** The errors a refusal throws, each worded by its caller. */
export interface LockFileOptions {
  /** A running process holds the lock: `owner` is its pid. */
  held: (owner: number) => Error;
  /** The lock file came back after a stale one was removed: another process took it at the same moment. */
  contended: () => Error;
}

/**
 * Takes the lock file `path`: created exclusively, holding this process's pid and start time. A lock whose owner
 * is gone (killed without releasing it, even if its pid has been reused since) is taken over; a running owner,
 * this process included, means `held`. Errors of the file system (other than the file existing) are thrown as
 * they are. The folder the lock file goes in must exist.
 */
export function lockFile(path: string, options: LockFileOptions): ProcessLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const owner = [process.pid, startTimeOf(process.pid)].filter((x) => x !== undefined).join(" ");
      writeFileSync(path, `${owner}\n`, { flag: "wx", mode: 0o600 });
      return { path, release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let recorded: string;
    try {
      recorded = readFileSync(path, "utf8");
    } catch (err) {
      // Released between the two calls: take it now.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    const [pidText = "", start] = recorded.slice(0, 100).trim().split(/\s+/);
    const owner = /^\d{1,10}$/.test(pidText) ? Number(pidText) : 0;
    if (owner > 0 && ownerRunning(owner, start)) throw options.held(owner);
    rmSync(path, { force: true }); // stale: its owner died without releasing it
  }
  throw options.contended();
}

/**
 * Takes the state file's lock, `<state>.lock` (see lockFile), making the state's folder if need be: two servers on
 * one file would overwrite each other's writes.
 */
export function lockState(statePath: string, options: LockOptions = {}): ProcessLock {
  const server = options.server ?? "server";
  const refuse = options.refuse ?? ((message: string) => new StateLockedError(message));
  const path = `${statePath}.lock`;
  const dir = dirname(statePath);
  const unusable = (err: unknown) =>
    new StateFolderError(
      `state file ${statePath} cannot be used (${fileSystemProblem(err)}); pass a --state in a folder you can write`,
    );
  let made: string | undefined;
  try {
    made = makeDir(dir);
  } catch (err) {
    throw unusable(err);
  }
  let lock: ProcessLock;
  try {
    lock = lockFile(path, {
      held: (owner) =>
        refuse(
          `state file ${statePath} is in use by another ${server} (pid ${owner}); stop that one or pass another --state (if none is running, delete ${path})`,
        ),
      contended: () => refuse(`could not lock ${statePath}: ${path} keeps reappearing`),
    });
  } catch (err) {
    // The file system's own errors (they name a syscall); a refusal is thrown as it is.
    if (typeof (err as NodeJS.ErrnoException)?.syscall === "string") throw unusable(err);
    throw err;
  }
  return {
    path,
    release: () => {
      lock.release();
      removeEmpty(dir, made);
    },
  };
}
