import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { thumbprints } from "../common/thumbprint";
import type { LocalEntra } from "../entra/server";
import { median } from "./stats";

/** A client registered for the bench: enough to write stack outputs for it. */
export interface BenchClient {
  clientId: string;
  apiClientId: string;
  scope: string;
  certificatePem: string;
  privateKeyPem: string;
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

export function writeOutputs(path: string, entra: LocalEntra, c: BenchClient): void {
  const x = new X509Certificate(c.certificatePem);
  writeFileSync(
    path,
    JSON.stringify({
      tenantId: entra.tenantId,
      clientId: c.clientId,
      authority: `${entra.authorityHost}/${entra.tenantId}`,
      scope: c.scope,
      apiClientId: c.apiClientId,
      expectedRoles: ["Data.Read"],
      certificatePem: c.certificatePem,
      privateKeyPem: c.privateKeyPem,
      thumbprint: thumbprints(x).sha1,
    }),
  );
}

/** Runs a command to its end; resolves with wall time and stdout, rejects on a non-zero exit. */
function timed(command: string, args: string[], cwd: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    let stdout = "";
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve({ ms: performance.now() - t, stdout });
      else reject(new Error(`${command} ${args.slice(0, 3).join(" ")} exited ${code}`));
    });
  });
}

/**
 * `npm run -s verify` (compiled: preflight, msal-node, JWKS,
 * checks) against the floor, npm start-up plus a bare msal-node script
 * getting the same token, interleaved in one run. Goal: at most 1.3x.
 */
export async function verifyVersusFloor(root: string, entra: LocalEntra, outputs: string): Promise<void> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = [outputs, entra.authorityHost, entra.caPath];
  const runs = 7;
  const verify: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    verify.push(
      (
        await timed(
          npm,
          [
            "run",
            "-s",
            "verify",
            "--",
            "--outputs",
            outputs,
            "--authority-host",
            entra.authorityHost,
            "--ca-file",
            entra.caPath,
          ],
          root,
        )
      ).ms,
    );
    floor.push((await timed(npm, ["run", "-s", "bench:bare", "--", ...args], root)).ms);
  }
  const ratio = median(verify) / median(floor);
  console.log(`\nprocess start to verdict, happy path, median of ${runs} (same run, interleaved):`);
  console.log(`  npm run -s verify (compiled; preflight, msal-node, JWKS, checks): ${ms(median(verify))}`);
  console.log(`  floor: npm run -s bench:bare (npm + a bare msal-node script):    ${ms(median(floor))}`);
  console.log(`  ratio: ${ratio.toFixed(2)}x (goal <= 1.30x) ${ratio <= 1.3 ? "met" : "NOT met"}`);
}

/**
 * How long after a new credential becomes usable verify
 * goes green, with the local Entra ID's propagation delay. The credential
 * is usable `delay` after it was registered; verify starts right after.
 */
export async function propagationLag(
  root: string,
  startDelayed: (delaySeconds: number) => Promise<LocalEntra>,
  register: (entra: LocalEntra) => Promise<BenchClient>,
  dir: string,
): Promise<void> {
  const delaySeconds = 5;
  const runs = 3;
  const lags: number[] = [];
  const rates: number[] = [];
  const shortest: number[] = [];
  for (let i = 0; i < runs; i++) {
    const entra = await startDelayed(delaySeconds);
    try {
      const client = await register(entra);
      // Usable `delay` after the last of the app, its service principal, credential and grant was created.
      const usableAt = lastCreated(entra) + delaySeconds * 1000;
      const outputs = join(dir, `delayed-${i}.json`);
      writeOutputs(outputs, entra, client);
      const { stdout } = await timed(
        process.execPath,
        [join(root, "dist", "verify", "main.js"), "--outputs", outputs, "--ca-file", entra.caPath, "--json"],
        root,
      );
      const greenAt = Date.now();
      lags.push(greenAt - usableAt);
      // Gaps between the starts of consecutive requests: each retry's duration plus its wait.
      const attempts: { ms: number; waitMs?: number }[] = JSON.parse(stdout).attempts;
      const gaps = attempts.slice(0, -1).map((a) => a.ms + (a.waitMs ?? 0));
      rates.push(gaps.length / (gaps.reduce((x, y) => x + y, 0) / 1000));
      shortest.push(Math.min(...gaps));
    } finally {
      await entra.stop();
    }
  }
  console.log(`\nnoticing propagation (--propagation-delay ${delaySeconds}), ${runs} runs:`);
  console.log(`  verify green after the credential became usable: ${lags.map(ms).join(", ")} (goal <= 1500 ms)`);
  console.log(`  token requests per second while waiting: ${rates.map((r) => r.toFixed(2)).join(", ")} (at most 1)`);
  console.log(`  shortest gap between two requests: ${shortest.map(ms).join(", ")} (at least 1000 ms)`);
}

/** The latest createdDateTime in the local directory's state. */
function lastCreated(entra: LocalEntra): number {
  const times = [...JSON.stringify(entra.admin.state).matchAll(/"createdDateTime":"([^"]+)"/g)].map((m) =>
    Date.parse(m[1] ?? ""),
  );
  return Math.max(...times.filter(Number.isFinite));
}
