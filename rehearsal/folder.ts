import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { FolderError } from "./errors";

/**
 * The rehearsal's folder: it holds the stack between runs, and it is never
 * someone else's. A marker file says the rehearsal made it and lists what it
 * wrote; a lock file with the owner's pid keeps a second run out.
 */

export const markerName = ".rehearsal-folder.json";
export const lockName = ".rehearsal.lock";

interface Marker {
  madeBy: "entra-cert-auth rehearsal";
  /** Entries (files and folders directly in the folder) the rehearsal or its parts wrote. */
  wrote: string[];
}

export interface ClaimedFolder {
  dir: string;
  /** Whether a previous run left a stack here. */
  resumed: boolean;
  /** Records what this run added, then releases the lock. */
  release(): void;
}

export interface ClaimOptions {
  fresh: boolean;
  /** Whether a pid is alive; injected by tests. */
  isAlive?: (pid: number) => boolean;
  pid?: number;
}

const describe = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  const first = e.message.split("\n")[0] ?? "";
  return e.code && !first.startsWith(e.code) ? `${e.code}: ${first}` : first;
};

function unusable(dir: string, err: unknown): FolderError {
  return new FolderError(
    "ERR_FOLDER_UNUSABLE",
    `--dir ${dir} cannot be used (${describe(err)}); choose a folder you can write`,
  );
}

/**
 * A name the rehearsal could have written: one entry directly in the folder. The marker is a file anyone can
 * edit, and `--fresh` deletes what it lists, so `..`, paths and the marker's own names never count.
 */
const isOwnEntry = (name: unknown): name is string =>
  typeof name === "string" &&
  name !== "" &&
  name !== "." &&
  name !== ".." &&
  name !== markerName &&
  name !== lockName &&
  basename(name) === name &&
  !/[/\\]/.test(name);

function readMarker(dir: string): Marker | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, markerName), "utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      (parsed as Marker).madeBy === "entra-cert-auth rehearsal" &&
      Array.isArray((parsed as Marker).wrote)
    )
      return { madeBy: "entra-cert-auth rehearsal", wrote: (parsed as Marker).wrote.filter(isOwnEntry) };
  } catch {
    // No marker, or not ours.
  }
  return undefined;
}

const writeMarker = (dir: string, marker: Marker) =>
  writeFileSync(join(dir, markerName), `${JSON.stringify(marker, null, 2)}\n`);

/** A live owner: signal 0 succeeds, or fails only for lack of permission. */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lock(dir: string, pid: number, isAlive: (pid: number) => boolean): void {
  const path = join(dir, lockName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeFileSync(fd, `${pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw unusable(dir, err);
    }
    const owner = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner))
      throw new FolderError(
        "ERR_FOLDER_LOCKED",
        `--dir ${dir} is in use by another rehearsal (pid ${owner}); wait for it to finish or stop it, or use another --dir`,
      );
    // The owner is gone: a stale lock from a run that was killed.
    rmSync(path, { force: true });
  }
  throw new FolderError("ERR_FOLDER_LOCKED", `--dir ${dir}: another rehearsal took the lock at the same moment`);
}

/**
 * `mkdir -p` one level at a time. Node's own recursive mkdir spins forever on
 * a path under /proc, where mkdir keeps answering ENOENT (seen on Node 20 with
 * `/proc/nope`); here every level fails once, with its cause.
 */
function makeDir(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const parent = dirname(dir);
    if (parent !== dir) makeDir(parent);
    mkdirSync(dir);
  }
}

/**
 * Takes the folder for one run: creates it, or accepts it if it is empty or
 * the rehearsal's own; refuses anything else before touching it. With
 * `fresh`, deletes what earlier runs wrote (and only that).
 */
export function claimFolder(dir: string, options: ClaimOptions): ClaimedFolder {
  const pid = options.pid ?? process.pid;
  let entries: string[];
  try {
    makeDir(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    entries = readdirSync(dir);
  } catch (err) {
    throw unusable(dir, err);
  }
  let marker = readMarker(dir);
  if (!marker && entries.length > 0)
    throw new FolderError(
      "ERR_FOLDER_FOREIGN",
      `--dir ${dir} is not empty and was not made by the rehearsal (no ${markerName}); nothing in it was touched. Choose an empty or new folder`,
    );
  try {
    if (!marker) {
      marker = { madeBy: "entra-cert-auth rehearsal", wrote: [] };
      writeMarker(dir, marker);
    }
  } catch (err) {
    throw unusable(dir, err);
  }
  lock(dir, pid, options.isAlive ?? pidIsAlive);
  const owned = new Set(marker.wrote);
  if (options.fresh) {
    for (const name of owned) rmSync(join(dir, name), { recursive: true, force: true });
    owned.clear();
    writeMarker(dir, { madeBy: "entra-cert-auth rehearsal", wrote: [] });
  }
  const before = new Set(readdirSync(dir));
  const resumed = owned.size > 0;
  return {
    dir,
    resumed,
    release() {
      // What appeared during this run is ours; what was there and not ours stays someone else's.
      for (const name of readdirSync(dir)) {
        if (name === markerName || name === lockName) continue;
        if (!before.has(name) || owned.has(name)) owned.add(name);
      }
      writeMarker(dir, { madeBy: "entra-cert-auth rehearsal", wrote: [...owned].sort() });
      rmSync(join(dir, lockName), { force: true });
    },
  };
}
