import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { lockFile, type ProcessLock } from "../common/lock";
import { fileSystemProblem, makeDir } from "../common/makeDir";
import { FolderError } from "./errors";

/**
 * The rehearsal's folder: it holds the stack between runs, and it is never
 * someone else's. A marker file says the rehearsal made it and lists what it
 * wrote; a lock file with the owner's pid and start time keeps a second run
 * out (common/lock.ts), and is taken over once that process is gone, even if
 * the system has given its pid to another since.
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
}

function unusable(dir: string, err: unknown): FolderError {
  return new FolderError(
    "ERR_FOLDER_UNUSABLE",
    `--dir ${dir} cannot be used (${fileSystemProblem(err)}); choose a folder you can write`,
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

function lock(dir: string): ProcessLock {
  try {
    return lockFile(join(dir, lockName), {
      held: (owner) =>
        new FolderError(
          "ERR_FOLDER_LOCKED",
          `--dir ${dir} is in use by another rehearsal (pid ${owner}); wait for it to finish or stop it, or use another --dir`,
        ),
      contended: () =>
        new FolderError("ERR_FOLDER_LOCKED", `--dir ${dir}: another rehearsal took the lock at the same moment`),
    });
  } catch (err) {
    if (err instanceof FolderError) throw err;
    throw unusable(dir, err);
  }
}

/**
 * Takes the folder for one run: creates it, or accepts it if it is empty or
 * the rehearsal's own; refuses anything else before touching it. With
 * `fresh`, deletes what earlier runs wrote (and only that).
 */
export function claimFolder(dir: string, options: ClaimOptions): ClaimedFolder {
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
  const held = lock(dir);
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
      held.release();
    },
  };
}
