import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEngine } from "../../rehearsal/engine";
import { main } from "../../rehearsal/main";
import { root } from "../support/processes";
import { capture } from "./capture";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
// Not fileTempDir: removing an installed node_modules (the Pulumi SDKs) takes longer than a hook's default minute.
const temp = join(tmpdir(), `eca-library-${randomUUID()}`);
beforeAll(() => mkdirSync(temp, { mode: 0o700 }));
afterAll(() => rmSync(temp, { recursive: true, force: true }), 300_000);

// A program of someone else's: it knows the package by name only, and exports the contract verify reads.
const program = `import * as pulumi from "@pulumi/pulumi";
import { CertificateApp, type CertificateAppArgs } from "entra-cert-auth";

const config = new pulumi.Config();
const args: CertificateAppArgs = {
  displayName: "scratch-workload",
  apiRoles: ["Jobs.Run", "Jobs.Read"],
  roles: ["Jobs.Run"],
  authorityHost: config.require("authorityHost"),
};
const app = new CertificateApp("client", args);

export const tenantId = app.tenantId;
export const clientId = app.clientId;
export const authority = app.authority;
export const scope = app.scope;
export const apiClientId = app.apiClientId;
export const expectedRoles = app.expectedRoles;
export const certificatePem = app.certificatePem;
export const privateKeyPem = app.privateKeyPem;
export const thumbprint = app.thumbprint;
export const thumbprintSha256 = app.thumbprintSha256;
export const rotationState = app.rotationState;
`;

describe("the component as a library", () => {
  // The one slow test (npm pack and an install from the registry's cache): run it alone when iterating.
  it("npm pack, installed in a scratch folder: a program importing CertificateApp type-checks, deploys through the rehearsal and verifies", async () => {
    // dist/ is fresh (the globalSetup built it), so the pack skips `prepare`; a real `npm pack` runs it.
    await run(npm, ["pack", "--silent", "--ignore-scripts", "--pack-destination", temp], { cwd: root });
    const tarball = readdirSync(temp).find((f) => /^entra-cert-auth-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    const scratch = join(temp, "scratch");
    mkdirSync(scratch);
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, main: "index.ts" }));
    writeFileSync(
      join(scratch, "Pulumi.yaml"),
      "name: scratch\nmain: index.ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nconfig:\n  authorityHost:\n    type: string\n    default: https://login.microsoftonline.com\n",
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext" },
        include: ["index.ts"],
      }),
    );
    writeFileSync(join(scratch, "index.ts"), program);
    // The version of TypeScript the project builds with: ts-node compiles the program with the project's own.
    const typescript = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies.typescript;
    await run(
      npm,
      ["install", "--prefer-offline", "--no-audit", "--no-fund", join(temp, tarball ?? ""), `typescript@${typescript}`],
      { cwd: scratch },
    );
    // Only what the package ships: the compiled component and its declarations, no TypeScript source.
    const installed = join(scratch, "node_modules", "entra-cert-auth");
    expect(existsSync(join(installed, "dist", "components", "library.d.ts"))).toBe(true);
    expect(existsSync(join(installed, "components"))).toBe(false);

    const typecheck = await run(process.execPath, [
      join(scratch, "node_modules", "typescript", "bin", "tsc"),
      "--noEmit",
      "-p",
      scratch,
    ]).then(
      () => 0,
      (err: { code?: number; stdout?: string }) => {
        throw new Error(`the scratch program does not type-check: ${err.stdout ?? ""}`);
      },
    );
    expect(typecheck).toBe(0);

    const io = capture();
    const code = await main(["--program", scratch, "--dir", join(temp, "stack")], io, { cwd: temp, runEngine });
    const { stdout } = io.text();
    expect(code, `${stdout}\n${io.text().stderr}`).toBe(0);
    expect(stdout).toMatch(/^rehearsal: verified: a certificate-authenticated token for api:\/\/.+ with Jobs\.Run \(/m);
  }, 600_000);
});
