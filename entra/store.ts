import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type DirectoryState, emptyDirectory, ensureTenant } from "./directory";

/** The directory and where it is kept. */
export interface Store {
  path: string;
  state: DirectoryState;
  tenantId: string;
  save(): void;
}

/** Opens the state file, creating it (with one tenant) if it is not there. */
export function openStore(path: string): Store {
  const state = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as DirectoryState) : emptyDirectory();
  const store: Store = {
    path,
    state,
    tenantId: ensureTenant(state),
    // Write-then-rename so that a crash never leaves half a directory.
    save() {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
      renameSync(`${path}.tmp`, path);
    },
  };
  store.save();
  return store;
}
