import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BodyTooLargeError, readBody } from "../../common/httpServer";

/** A request whose body is `chunks`, with the headers given; `read` counts the chunks the reader took. */
function request(chunks: string[], headers: Record<string, string>) {
  const stats = { read: 0 };
  const stream = Readable.from(
    (function* () {
      for (const c of chunks) {
        stats.read++;
        yield Buffer.from(c);
      }
    })(),
  );
  return { req: Object.assign(stream, { headers }) as unknown as IncomingMessage, stats };
}

describe("readBody, shared by the local Entra ID and Key Vault", () => {
  it("reads a body up to the limit", async () => {
    const { req } = request(["ab", "cd"], { "content-length": "4" });
    expect(await readBody(req, 4)).toBe("abcd");
  });

  it("refuses a body whose declared length is past the limit before reading any of it", async () => {
    const { req, stats } = request(["abcde"], { "content-length": "5" });
    await expect(readBody(req, 4)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(stats.read).toBe(0);
  });

  it("refuses a body past the limit that declares no length, once it has read past it", async () => {
    const { req, stats } = request(["abc", "de"], {});
    await expect(readBody(req, 4)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(stats.read).toBe(2);
  });
});
