import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runEngine } from "../../rehearsal/engine";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

/**
 * A single-client stack deployed by the program as it was before the `clients` setting (the commit before
 * components/clients.ts was added, taken out of git into a folder of its own) is previewed by this program: every
 * resource is `same`, so `pulumi up` after upgrading changes nothing.
 */
const temp = fileTempDir("eca-rehearsal-upgrade-");
let made: { code: number; stdout: string };
let previewed: { code: number; stdout: string };

function previousProgram(): string {
  const added = execFileSync("git", ["log", "--diff-filter=A", "--format=%H", "--", "components/clients.ts"], {
    cwd: root,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .at(-1);
  if (!added) throw new Error("components/clients.ts is not in git's history: commit it first");
  const dir = join(temp, "previous");
  mkdirSync(dir);
  const archive = execFileSync("git", ["archive", `${added}^`], { cwd: root, maxBuffer: 64 << 20 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

async function rehearse(cwd: string, args: string[]) {
  const io = capture();
  const code = await main(args, io, { cwd, runEngine });
  return { code, stdout: io.text().stdout };
}

beforeAll(async () => {
  const stack = join(temp, "stack");
  // The previous program only makes the stack: it runs as ts-node's transpile-only mode does (cmd/run reads
  // PULUMI_NODEJS_TRANSPILE_ONLY), since its copy in a new folder misses ts-node's cache (the cache's key holds the
  // tsconfig's path) and a cold type-check of it costs seconds of CPU. The program under test is type-checked.
  vi.stubEnv("PULUMI_NODEJS_TRANSPILE_ONLY", "true");
  try {
    made = await rehearse(previousProgram(), ["--dir", stack, "--config", "roles[0]=Data.Read"]);
  } finally {
    vi.unstubAllEnvs();
  }
  previewed = await rehearse(root, ["--dir", stack, "--preview"]);
}, 240_000);

describe("upgrading a single-client stack to the program with clients", () => {
  it("plans no change at all: every resource the previous program made is the same", () => {
    expect(made.code, made.stdout).toBe(0);
    expect(previewed.code, previewed.stdout).toBe(0);
    const summary = previewed.stdout.split("\n").find((l) => l.startsWith("rehearsal: preview: "));
    expect(summary).toMatch(/^rehearsal: preview: (\d+ to read, )?\d+ unchanged; nothing was changed$/);
  });
});
