import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "./errors";

/** An admin key file that holds no key. Exit code 1: the server cannot start. */
export class AdminKeyError extends CliError {
  constructor(message: string) {
    super("ERR_ADMIN_KEY_INVALID", 1, message);
  }
}

/** `<state>.admin-key`: the bearer key every admin request (`/graph/...`, `/_local/...`) must carry. */
export const adminKeyPath = (statePath: string) => `${statePath}.admin-key`;

const keyPattern = /^[A-Za-z0-9_-]{43}$/;

/** The admin key to use; `save()` writes a new one to its 0600 file (a reused one is already there). */
export interface AdminKey {
  adminKey: string;
  adminKeyPath: string;
  save(): void;
}

/**
 * Reads the key beside the state file, or makes one in memory, writing
 * nothing: a start that is refused afterwards leaves no key behind.
 */
export function loadAdminKey(
  statePath: string,
  refuse: (message: string) => Error = (message) => new AdminKeyError(message),
): AdminKey {
  const path = adminKeyPath(statePath);
  if (existsSync(path)) {
    const adminKey = readFileSync(path, "utf8").trim();
    if (!keyPattern.test(adminKey))
      throw refuse(
        `${path} does not hold an admin key (43 base64url characters); delete it and a new one is made at start`,
      );
    return { adminKey, adminKeyPath: path, save: () => chmodSync(path, 0o600) };
  }
  const adminKey = randomBytes(32).toString("base64url");
  const save = () => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${adminKey}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  };
  return { adminKey, adminKeyPath: path, save };
}

/** Compares an `Authorization` header with the key in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, adminKey: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? "");
  const presented = match?.[1];
  if (presented === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(adminKey));
}
