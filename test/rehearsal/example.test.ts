import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEngine } from "../../rehearsal/engine";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";
import { capture } from "./capture";

const temp = fileTempDir("eca-example-");

describe("examples/platform, rehearsed with --program", () => {
  it("deploys three workloads over one API, and each gets a token with only its own roles", async () => {
    const io = capture();
    const code = await main(["--program", join(root, "examples", "platform"), "--dir", join(temp, "stack")], io, {
      cwd: temp,
      runEngine,
    });
    const { stdout, stderr } = io.text();
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const verdicts = stdout.split("\n").filter((l) => / {2}verified: a certificate-authenticated token/.test(l));
    expect(verdicts).toEqual([
      expect.stringMatching(/^rehearsal: {3}audit {4}verified: .* with Audit\.Read \(/),
      expect.stringMatching(/^rehearsal: {3}billing {2}verified: .* with Orders\.Read \(/),
      expect.stringMatching(/^rehearsal: {3}orders {3}verified: .* with Orders\.Read, Orders\.Write \(/),
    ]);
    expect(stdout).toContain("rehearsal: verified: all 3 clients");
  }, 180_000);
});
