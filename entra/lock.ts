import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LocalEntraError } from "./errors";

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
 * Takes the state file's lock: `<state>.lock` created exclusively, holding the
 * owner's pid. A lock whose owner is gone (the server was killed) is taken
 * over; a live owner, this process included, means the start is refused,
 * since two servers on one file would overwrite each other's writes.
 */
export function lockState(statePath: string): StateLock {
  const path = `${statePath}.lock`;
  mkdirSync(dirname(statePath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return { path, release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new LocalEntraError(
        "ERR_STATE_LOCKED",
        `state file ${statePath} is in use by another local Entra ID (pid ${owner}); stop that one or pass another --state (if none is running, delete ${path})`,
      );
    }
    rmSync(path, { force: true }); // stale: its owner died without releasing it
  }
  throw new LocalEntraError("ERR_STATE_LOCKED", `could not lock ${statePath}: ${path} keeps reappearing`);
}
