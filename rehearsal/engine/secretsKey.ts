import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { CheckpointError } from "./errors";

/**
 * Encrypts checkpoint secrets with AES-256-GCM under a random key kept in a
 * mode-0600 file beside the checkpoint: the idea of Pulumi's passphrase
 * secrets provider for the file backend, without a passphrase to type.
 */
export interface SecretsKey {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

/** Opens the key file, creating it (0600, exclusively) when `create` and it does not exist. */
export function openSecretsKey(path: string, create: boolean): SecretsKey | undefined {
  let key: Buffer;
  try {
    key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  } catch (err) {
    if (!isMissing(err)) throw new CheckpointError(`the checkpoint key ${path} cannot be read: ${codeOf(err)}`);
    if (!create) return undefined;
    key = randomBytes(32);
    try {
      writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (e) {
      throw new CheckpointError(`the checkpoint key ${path} cannot be written: ${codeOf(e)}`);
    }
  }
  if (key.length !== 32) throw new CheckpointError(`the checkpoint key ${path} is not a 32-byte base64 key`);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
    },
    decrypt(ciphertext) {
      const raw = Buffer.from(ciphertext, "base64");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new CheckpointError(`the checkpoint key ${path} does not open the checkpoint's secrets`);
      }
    },
  };
}

const isMissing = (err: unknown) => err instanceof Error && "code" in err && err.code === "ENOENT";
const codeOf = (err: unknown) => (err instanceof Error && "code" in err ? String(err.code) : "unknown error");
