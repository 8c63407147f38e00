import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";

const script = join(root, "scripts", "validate-pipelines.js");

/** An Azure Pipelines template expression naming a parameter. */
const parameter = (name: string) => `\${{ parameters.${name} }}`;

/** Runs the pipeline files' check (as CI does) on the given files; its exit code and what it printed. */
async function validate(files: string[] = []): Promise<{ code: number; text: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...files], { cwd: root });
    return { code: 0, text: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, text: e.stdout + e.stderr };
  }
}

describe("the pipeline files' schema and structure check (scripts/validate-pipelines.js)", () => {
  const dir = fileTempDir("eca-pipelines-");
  const copy = (from: string, name: string, edit: (text: string) => string) => {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, edit(readFileSync(join(root, from), "utf8")));
    return file;
  };

  it("passes action.yml, the example workflows and the Azure Pipelines template and example", async () => {
    const { code, text } = await validate();
    expect(text).toMatch(/^\d+ pipeline files checked: valid$/m);
    expect(code).toBe(0);
  });

  it("refuses a workflow the GitHub workflow schema refuses, and an input the Action does not declare", async () => {
    const file = copy("docs/examples/expiry-watch.yml", "watch.yml", (t) =>
      t.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest").replace("within-days: 30", "within_days: 30"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toContain("schema:");
    expect(text).toContain("job expiry: the Action has no input within_days");
  });

  it("refuses a template that passes a secret on without issecret, names an undeclared parameter, or has an unknown step key", async () => {
    const file = copy("templates/verify.yml", join("templates", "verify.yml"), (t) =>
      t
        .replace(";issecret=true]", "]")
        .replace(parameter("timeout"), parameter("timeoutSeconds"))
        .replace("displayName: Remove the stack's outputs", "displayname: Remove the stack's outputs"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toContain("a secret passed on with task.setvariable without issecret=true");
    expect(text).toContain(`${parameter("timeoutSeconds")} is not declared`);
    expect(text).toContain("parameter timeout is never used");
    expect(text).toContain("schema: /steps/2 has unknown key displayname");
  });

  it("refuses, by the Azure Pipelines schema, a parameter type Azure lacks, a task input the task lacks and a non-boolean continueOnError", async () => {
    const file = copy("templates/verify.yml", join("templates", "verify.yml"), (t) =>
      t
        .replace("  - name: timeout\n    type: number", "  - name: timeout\n    type: integer")
        .replace("targetPath:", "targetFile:")
        .replace(
          "    condition: always()\n\n  - task:",
          "    continueOnError: maybe\n    condition: always()\n\n  - task:",
        ),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toMatch(/schema: \/parameters\/2\/type fits none of its 16 forms: must match \^boolean\$/);
    expect(text).toContain("schema: /steps/3/inputs has unknown key targetFile");
    expect(text).toMatch(/schema: \/steps\/2\/continueOnError fits none of its 8 forms/);
    expect(text).not.toContain("never used");
  });

  it("refuses a task the Azure Pipelines schema does not know, and takes a task name in any case as Azure does", async () => {
    copy("templates/verify.yml", join("templates", "verify.yml"), (t) => t);
    const file = copy("docs/examples/azure-pipelines.yml", join("docs", "examples", "azure-pipelines.yml"), (t) =>
      t.replace("task: NodeTool@0", "task: UseNode@1").replace("task: AzureCLI@2", "task: azurecli@2"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toContain("schema: /steps/0/task is none of the 259 values the schema knows");
    expect(text).not.toContain("/steps/2");
    expect(text).toMatch(/1 problems$/m);
  });

  it("refuses an Azure YAML block in docs/ whose step has a key the schema does not know", async () => {
    const file = copy("docs/pipelines.md", "pipelines.md", (t) =>
      t.replace('inputs: { versionSpec: "24.x" }', 'input: { versionSpec: "24.x" }'),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toMatch(/yaml block \d+: schema: \/steps\/0 has unknown key input$/m);
  });

  it("keeps the vendored schemas byte for byte as scripts/schemas/README.md names them (sha256)", () => {
    const readme = readFileSync(join(root, "scripts", "schemas", "README.md"), "utf8");
    for (const name of ["azure-pipelines", "github-action", "github-workflow"]) {
      const file = `${name}.schema.json`;
      const named = new RegExp(`\`${file}\` \\(([\\d,]+) bytes, sha256 \`([0-9a-f]{64})\``).exec(readme);
      const bytes = readFileSync(join(root, "scripts", "schemas", file));
      expect(named?.[2]).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(Number(named?.[1]?.replace(/,/g, ""))).toBe(bytes.length);
    }
  });

  it("refuses an action.yml whose runtime is not node24, and one the GitHub Action schema refuses", async () => {
    const file = copy("action.yml", "action.yml", (t) => t.replace("using: node24", "using: node20"));
    const old = await validate([file]);
    expect(old.code).toBe(1);
    expect(old.text).toContain("runs.using must be node24");
    expect(old.text).not.toContain("schema:");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("using: node20", "using: node24").replace("inputs:", "input:"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toContain("schema: / has unknown key input");
  });

  it("checks the YAML examples in docs/ too: an input the Action lacks, a template parameter the template lacks", async () => {
    const file = copy("docs/pipelines.md", "pipelines.md", (t) =>
      t
        .replace("timeout: 600\n```", "time-out: 600\n```")
        .replace("parameters: { stack: dev, timeout: 600 }", "parameters: { stack: dev, retries: 3 }"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toMatch(/yaml block \d+: the Action has no input time-out/);
    expect(text).toContain("the template has no parameter retries");
  });
});
