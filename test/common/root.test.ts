import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../common/root";
import { fileTempDir } from "../support/tempFolders";

describe("projectRoot", () => {
  const dir = fileTempDir("eca-root-");

  it("finds the folder holding package.json from any depth, as from dist/verify", () => {
    writeFileSync(join(dir, "package.json"), "{}");
    const deep = join(dir, "dist", "verify");
    mkdirSync(deep, { recursive: true });
    expect(projectRoot(deep)).toBe(dir);
  });

  it("stops at an installed package's own folder, not the project that installed it", () => {
    const pkg = join(dir, "node_modules", "entra-cert-auth");
    mkdirSync(join(pkg, "dist", "verify"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), "{}");
    expect(projectRoot(join(pkg, "dist", "verify"))).toBe(pkg);
  });

  it("finds this project's root, which holds Pulumi.yaml, from the sources", () => {
    expect(projectRoot(__dirname)).toBe(join(__dirname, "..", ".."));
  });

  it("fails naming where it looked when there is no package above", () => {
    expect(() => projectRoot("/")).toThrow("no package.json at or above /");
  });
});
