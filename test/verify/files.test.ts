import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { maxInputBytes, readBounded, readStreamBounded } from "../../verify/files";
import { fileTempDir } from "../support/tempFolders";

describe("reading input with a bound", () => {
  const dir = fileTempDir("eca-verify-files-");

  it("reads a file up to exactly 1 MiB, and refuses one byte more", () => {
    const ok = join(dir, "ok.json");
    writeFileSync(ok, Buffer.alloc(maxInputBytes, 0x20));
    expect(readBounded(ok, "--outputs").length).toBe(maxInputBytes);
    const big = join(dir, "big.json");
    writeFileSync(big, Buffer.alloc(maxInputBytes + 1, 0x20));
    expect(() => readBounded(big, "--outputs")).toThrow(`--outputs ${big} is larger than 1 MiB`);
  });

  it("names the path and the reason when a file cannot be opened or read", () => {
    expect(() => readBounded(join(dir, "missing"), "--ca-file")).toThrow(
      `--ca-file ${join(dir, "missing")} cannot be read (ENOENT)`,
    );
    expect(() => readBounded(dir, "--outputs")).toThrow(`--outputs ${dir} cannot be read (EISDIR)`);
  });

  it("reads a stream of strings or buffers, and stops past the bound", async () => {
    expect((await readStreamBounded(Readable.from(["ab", Buffer.from("cd")]), "stdin")).toString()).toBe("abcd");
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(64 * 1024);
      })(),
    );
    await expect(readStreamBounded(endless, "--outputs - (stdin)")).rejects.toThrow(
      "--outputs - (stdin) is larger than 1 MiB",
    );
  });
});
