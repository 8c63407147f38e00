import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalEntra } from "../entra/server";
import { median } from "./stats";

const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Wall time of one process, start to exit, whatever its exit code. */
function timed(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, args, { cwd, env, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - t));
  });
}

/**
 * The GitHub Action's entry (the committed bundle, action/dist/index.mjs) against verify's own executable
 * (dist/verify/main.js), both started with node as the runner starts an Action, interleaved: to a bad-input answer
 * (start-up: loading and checking the inputs) and to the verdict of a happy run against the local Entra ID.
 * Goal: the Action within 1.5x of verify.
 */
export async function actionVersusVerify(root: string, entra: LocalEntra, outputs: string): Promise<void> {
  const runs = 7;
  const temp = mkdtempSync(join(tmpdir(), "eca-bench-action-"));
  try {
    const verifyMain = join(root, "dist", "verify", "main.js");
    const action = join(root, "action", "dist", "index.mjs");
    const base = { PATH: process.env.PATH, RUNNER_TEMP: temp, GITHUB_WORKSPACE: root };
    const actionEnv = (inputs: Record<string, string>) =>
      Object.fromEntries([
        ...Object.entries(base),
        ...Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
      ]);
    const cases = {
      "bad input": {
        verify: [verifyMain, "--outputs", outputs, "--timeout", "soon"],
        action: actionEnv({ "outputs-file": outputs, timeout: "soon" }),
      },
      "happy path": {
        verify: [verifyMain, "--outputs", outputs, "--authority-host", entra.authorityHost, "--ca-file", entra.caPath],
        action: actionEnv({ "outputs-file": outputs, "authority-host": entra.authorityHost, "ca-file": entra.caPath }),
      },
    };
    console.log(`\nthe GitHub Action's bundle against verify's executable, process start to exit, median of ${runs}:`);
    for (const [name, c] of Object.entries(cases)) {
      const verify: number[] = [];
      const bundled: number[] = [];
      for (let i = 0; i < runs; i++) {
        verify.push(await timed(c.verify, base, root));
        bundled.push(await timed([action], c.action, root));
      }
      const ratio = median(bundled) / median(verify);
      console.log(
        `  ${name.padEnd(10)}  verify ${ms(median(verify))}, Action ${ms(median(bundled))}: ${ratio.toFixed(2)}x (goal <= 1.50x) ${ratio <= 1.5 ? "met" : "NOT met"}`,
      );
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
