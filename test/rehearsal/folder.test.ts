import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTimeOf } from "../../common/lock";
import { FolderError } from "../../rehearsal/errors";
import { claimFolder, lockName, markerName } from "../../rehearsal/folder";
import { fileTempDir } from "../support/tempFolders";

const temp = fileTempDir("eca-folder-");
let n = 0;
const fresh = () => join(temp, `f${n++}`);

/** The pid of a process that has exited: nothing runs under it (until the system reuses it). */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    child.on("exit", () => resolve(child.pid ?? 0));
  });

const snapshot = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

const refused = (run: () => unknown): FolderError => {
  try {
    run();
  } catch (err) {
    if (err instanceof FolderError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
};

describe("the rehearsal's folder is never someone else's", () => {
  it("refuses a non-empty folder it did not make, exit 2, and touches nothing in it", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, "thesis.tex"), "years of work");
    const before = snapshot(dir);
    const err = refused(() => claimFolder(dir, { fresh: true }));
    expect(err.code).toBe("ERR_FOLDER_FOREIGN");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("is not empty and was not made by the rehearsal");
    expect(snapshot(dir)).toEqual(before);
  });

  it("takes a new or empty folder and marks it", () => {
    const dir = fresh();
    const claimed = claimFolder(dir, { fresh: false });
    expect(claimed.resumed).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([markerName, lockName].sort());
    claimed.release();
    expect(readdirSync(dir)).toEqual([markerName]);
  });

  it("refuses an unusable folder with the cause, exit 2", () => {
    const err = refused(() => claimFolder("/proc/nope", { fresh: false }));
    expect(err.code).toBe("ERR_FOLDER_UNUSABLE");
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(
      /^--dir \/proc\/nope cannot be used \(ENOENT: no such file or directory, mkdir '\/proc\/nope'\)/,
    );
    const file = join(temp, "a-file");
    writeFileSync(file, "");
    expect(refused(() => claimFolder(join(file, "sub"), { fresh: false })).message).toContain("ENOTDIR");
  });

  it("refuses a second run at once while the first one's pid is alive, naming the pid", () => {
    const dir = fresh();
    const first = claimFolder(dir, { fresh: false });
    // The owner is this very process, which is alive: no injection needed.
    const err = refused(() => claimFolder(dir, { fresh: false }));
    expect(err.code).toBe("ERR_FOLDER_LOCKED");
    expect(err.message).toContain(`in use by another rehearsal (pid ${process.pid})`);
    first.release();
    claimFolder(dir, { fresh: false }).release();
  });

  it("records the owner's pid and start time in the lock, so that the pid alone never proves an owner", () => {
    const dir = fresh();
    const claimed = claimFolder(dir, { fresh: false });
    expect(readFileSync(join(dir, lockName), "utf8")).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    claimed.release();
  });

  it("takes over a stale lock whose owner is gone", async () => {
    const dir = fresh();
    claimFolder(dir, { fresh: false }).release();
    const dead = await deadPid();
    expect(startTimeOf(dead)).toBeUndefined();
    writeFileSync(join(dir, lockName), `${dead}\n`);
    const claimed = claimFolder(dir, { fresh: false });
    expect(readFileSync(join(dir, lockName), "utf8")).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    claimed.release();
  });

  it.each([
    ["a live pid the system reused (this process) with another start time", () => `${process.pid} 1\n`],
    ["a live pid (pid 1) and no start time, as a lock written before start times were recorded", () => "1\n"],
    ["no pid at all", () => "not a pid\n"],
  ])("takes over a lock holding %s: that process is no rehearsal in this folder", (_, content) => {
    const dir = fresh();
    claimFolder(dir, { fresh: false }).release();
    writeFileSync(join(dir, lockName), content());
    const claimed = claimFolder(dir, { fresh: false });
    expect(readFileSync(join(dir, lockName), "utf8")).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    claimed.release();
    expect(readdirSync(dir)).toEqual([markerName]);
  });

  it("refuses a lock whose pid and start time name a running process", () => {
    const dir = fresh();
    claimFolder(dir, { fresh: false }).release();
    writeFileSync(join(dir, lockName), `${process.pid} ${startTimeOf(process.pid)}\n`);
    expect(refused(() => claimFolder(dir, { fresh: false })).code).toBe("ERR_FOLDER_LOCKED");
  });

  it("refuses a folder whose lock cannot be read, with the cause, exit 2", () => {
    const dir = fresh();
    claimFolder(dir, { fresh: false }).release();
    mkdirSync(join(dir, lockName));
    const err = refused(() => claimFolder(dir, { fresh: false }));
    expect(err.code).toBe("ERR_FOLDER_UNUSABLE");
    expect(err.message).toContain("EISDIR");
  });

  it("--fresh deletes only entries directly in the folder, whatever a hand-edited marker lists", () => {
    const parent = fresh();
    const dir = join(parent, "child");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(parent, "victim.txt"), "keep");
    writeFileSync(join(dir, "mine.json"), "{}");
    const listed = ["..", "../victim.txt", ".", "", "/etc", "a/../../victim.txt", markerName, lockName, "mine.json"];
    writeFileSync(join(dir, markerName), JSON.stringify({ madeBy: "entra-cert-auth rehearsal", wrote: listed }));
    claimFolder(dir, { fresh: true }).release();
    expect(readFileSync(join(parent, "victim.txt"), "utf8")).toBe("keep");
    expect(readdirSync(dir).sort()).toEqual([markerName]);
  });

  it("takes a marker someone else wrote for a foreign folder's, and refuses it", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, "precious.txt"), "keep");
    writeFileSync(join(dir, markerName), JSON.stringify({ madeBy: "x", wrote: ["precious.txt"] }));
    expect(refused(() => claimFolder(dir, { fresh: true })).code).toBe("ERR_FOLDER_FOREIGN");
    expect(readFileSync(join(dir, "precious.txt"), "utf8")).toBe("keep");
  });

  it("--fresh deletes what earlier runs wrote, and only that", () => {
    const dir = fresh();
    const first = claimFolder(dir, { fresh: false });
    writeFileSync(join(dir, "entra.json"), "{}");
    mkdirSync(join(dir, "stack"));
    writeFileSync(join(dir, "stack", "checkpoint.json"), "{}");
    first.release();
    writeFileSync(join(dir, "notes.txt"), "the user's own");
    const second = claimFolder(dir, { fresh: false });
    expect(second.resumed).toBe(true);
    second.release();
    const third = claimFolder(dir, { fresh: true });
    expect(third.resumed).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([markerName, lockName, "notes.txt"].sort());
    third.release();
  });
});
