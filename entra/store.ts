import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isGuid } from "../common/safe";
import { type DirectoryState, emptyDirectory, ensureTenant } from "./directory";
import { LocalEntraError } from "./errors";
import { stateProblem } from "./validate";

/** The directory and where it is kept. */
export interface Store {
  path: string;
  /** The last saved directory; replaced whole by `commit`, never changed in place. */
  readonly state: DirectoryState;
  tenantId: string;
  /** Saves `next` and makes it the state; if saving throws, the state stays as it was. */
  commit(next: DirectoryState): void;
}

/** Opens the state file, creating it (with one tenant) if it is not there. */
export function openStore(path: string): Store {
  const store = readStore(path);
  store.commit(store.state);
  return store;
}

/**
 * Reads and checks the state file without writing anything: a start that is
 * refused later (a port in use) leaves the folder as it was. The first
 * `commit` writes the file.
 */
export function readStore(path: string): Store {
  let state = existsSync(path) ? readState(path) : emptyDirectory();
  const tenantId = ensureTenant(state);
  const write = (next: DirectoryState) => {
    mkdirSync(dirname(path), { recursive: true });
    // Write-then-rename so that a crash never leaves half a directory.
    writeFileSync(`${path}.tmp`, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  };
  return {
    path,
    get state() {
      return state;
    },
    tenantId,
    commit(next) {
      write(next);
      state = next;
    },
  };
}

function readState(path: string): DirectoryState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new LocalEntraError("ERR_STATE_INVALID", `${path} is not valid JSON; fix it or delete it to start empty`);
  }
  const s = parsed as Partial<DirectoryState> | null;
  if (
    !s ||
    typeof s !== "object" ||
    !Array.isArray(s.tenants) ||
    !Array.isArray(s.applications) ||
    !Array.isArray(s.servicePrincipals) ||
    !Array.isArray(s.appRoleAssignments)
  )
    throw new LocalEntraError(
      "ERR_STATE_INVALID",
      `${path} is not a local Entra ID state file (needs tenants, applications, servicePrincipals, appRoleAssignments); if it is another file, pass the state file (e.g. .rehearsal/entra.json), else delete it to start empty`,
    );
  // Tenant ids are compared on every request: one that is not a GUID would break them all.
  if (!s.tenants.every((t: unknown) => isGuid((t as { id?: unknown } | null)?.id)))
    throw new LocalEntraError(
      "ERR_STATE_INVALID",
      `${path}: every tenant needs an id that is a GUID. Fix it, or delete the file to start empty.`,
    );
  const problem = stateProblem({
    applications: s.applications,
    servicePrincipals: s.servicePrincipals,
    appRoleAssignments: s.appRoleAssignments,
  });
  if (problem)
    throw new LocalEntraError("ERR_STATE_INVALID", `${path}: ${problem} Fix it, or delete the file to start empty.`);
  return s as DirectoryState;
}
