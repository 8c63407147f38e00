import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileSystemProblem, makeDir } from "../../common/makeDir";

const scratch = mkdtempSync(join(tmpdir(), "eca-makedir-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("makeDir", () => {
  it("makes every missing level and returns the first one it made, as mkdirSync's recursive mode does", () => {
    const deep = join(scratch, "a", "b", "c");
    expect(makeDir(deep)).toBe(join(scratch, "a"));
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it("returns undefined for a folder that is already there", () => {
    expect(makeDir(scratch)).toBeUndefined();
  });

  it("throws the file system's error, once, when a level is a file", () => {
    const file = join(scratch, "file");
    writeFileSync(file, "");
    expect(() => makeDir(join(file, "sub"))).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
  });

  it.runIf(process.platform === "linux")(
    "fails with mkdir's cause under /proc, where Node's recursive mkdir spins forever",
    () => {
      expect(() => makeDir("/proc/eca-nope/sub")).toThrow(
        expect.objectContaining({ code: "ENOENT", syscall: "mkdir" }),
      );
    },
  );
});

describe("fileSystemProblem", () => {
  it("says the code, the cause and the call in one line", () => {
    const err = Object.assign(new Error("ENOENT: no such file or directory, mkdir '/proc/nope'"), { code: "ENOENT" });
    expect(fileSystemProblem(err)).toBe("ENOENT: no such file or directory, mkdir '/proc/nope'");
    expect(fileSystemProblem(Object.assign(new Error("gone\nmore"), { code: "EIO" }))).toBe("EIO: gone");
  });
});
