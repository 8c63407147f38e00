import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LocalEntraError } from "./errors";

/** `<state>.admin-key`: the bearer key every `/graph/...` and `/_local/...` request must carry. */
export const adminKeyPath = (statePath: string) => `${statePath}.admin-key`;

const keyPattern = /^[A-Za-z0-9_-]{43}$/;

/** Reuses the key beside the state file, or makes one (32 random bytes, base64url) in a 0600 file. */
export function loadOrCreateAdminKey(statePath: string): { adminKey: string; adminKeyPath: string } {
  const path = adminKeyPath(statePath);
  if (existsSync(path)) {
    const adminKey = readFileSync(path, "utf8").trim();
    if (!keyPattern.test(adminKey))
      throw new LocalEntraError(
        "ERR_ADMIN_KEY_INVALID",
        `${path} does not hold an admin key (43 base64url characters); delete it and a new one is made at start`,
      );
    chmodSync(path, 0o600);
    return { adminKey, adminKeyPath: path };
  }
  mkdirSync(dirname(path), { recursive: true });
  const adminKey = randomBytes(32).toString("base64url");
  writeFileSync(path, `${adminKey}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return { adminKey, adminKeyPath: path };
}

/** Compares an `Authorization` header with the key in constant time (digests of equal length). */
export function bearerMatches(header: string | undefined, adminKey: string): boolean {
  const match = /^Bearer (\S+)$/i.exec(header ?? "");
  if (!match) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(match[1]), digest(adminKey));
}
