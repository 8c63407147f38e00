import { closeSync, openSync, readSync } from "node:fs";
import { looksLikeContent, quotedPath } from "../common/safe";
import { InputError } from "./errors";

/**
 * The most verify reads from one file or stdin. A stack's outputs are a few
 * KiB, a PEM or PFX a few more; the cap turns `--outputs /dev/zero` or a
 * wrong file into a clear error instead of a process that grows until it is
 * killed.
 */
export const maxInputBytes = 1024 * 1024;

const tooLarge = (what: string) =>
  new InputError(`${what} is larger than 1 MiB: stack outputs are a few KiB; check that this is the right file`);

/**
 * Why a path cannot be read, in one line: the flag or variable, the path only
 * when it may be printed (common/safe.ts), and the error code. A value that
 * looks like a file's content (a pasted PEM or JSON) is never quoted: the
 * message says to give the path instead.
 */
export function unreadable(what: string, path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code ?? "error";
  const hint =
    code === "ENAMETOOLONG" || looksLikeContent(path) ? ": it must be a file path, not the file's content" : "";
  return new InputError(`${what}${quotedPath(path)} cannot be read (${code})${hint}`);
}

/** A file's bytes, at most `maxInputBytes`; a missing or unreadable file is bad input naming the path when safe. */
export function readBounded(path: string, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw unreadable(what, path, err);
  }
  try {
    const buffer = Buffer.alloc(maxInputBytes + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (err) {
        throw unreadable(what, path, err);
      }
      if (n === 0) return buffer.subarray(0, length);
      length += n;
      if (length > maxInputBytes) throw tooLarge(`${what}${quotedPath(path)}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** A stream's bytes (stdin), at most `maxInputBytes`; stops reading as soon as the cap is passed. */
export async function readStreamBounded(stream: AsyncIterable<Buffer | string>, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > maxInputBytes) throw tooLarge(what);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
