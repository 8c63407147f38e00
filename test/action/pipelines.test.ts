import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exitCodes } from "../../verify/errors";
import { fakeAzureCli } from "../support/azureCli";
import type { TestCertificate } from "../support/certificates";
import { type RegisteredClient, registerClient } from "../support/entra";
import { type VaultCertificate, type VaultIdentity, vaultForFile, vaultResource } from "../support/keyvault";
import { stackOutputsFor, vaultStackOutputsFor } from "../support/outputs";
import { root } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";
import { fileTempDir } from "../support/tempFolders";

const script = join(root, "scripts", "validate-pipelines.js");

/** An Azure Pipelines template expression naming a parameter. */
const parameter = (name: string) => `\${{ parameters.${name} }}`;

/** The expander the pipeline files' check uses for `${{ if }}` insertions (plain JavaScript, as CI runs it). */
const { expand, variants } = createRequire(__filename)("../../scripts/template-expressions.js") as {
  expand: (node: unknown, parameters: Record<string, unknown> | Map<string, unknown>) => unknown;
  variants: (
    declared: { name: string; type?: string; default?: unknown }[],
    document: unknown,
  ) => { label: string; values: Map<string, unknown> }[];
};

type Validation = { checked: number; problems: string[] };
const checker = createRequire(__filename)("../../scripts/validate-pipelines.js") as {
  validatePipelines: (files: string[]) => Validation;
  summary: (result: Validation) => string;
};

/** Runs the pipeline files' check as CI does (`node scripts/validate-pipelines.js`): its exit code and what it printed. */
async function validateCli(files: string[] = []): Promise<{ code: number; text: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...files], { cwd: root });
    return { code: 0, text: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, text: e.stdout + e.stderr };
  }
}

/** The same check in this process (the compiled schemas load once per worker): the exit code and lines it would print. */
async function validate(files: string[]): Promise<{ code: number; text: string }> {
  const result = checker.validatePipelines(files);
  return { code: result.problems.length > 0 ? 1 : 0, text: [...result.problems, checker.summary(result)].join("\n") };
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
    const { code, text } = await validateCli();
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
        .replaceAll(parameter("timeout"), parameter("timeoutSeconds"))
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

  it("checks the template as Azure expands each branch of its conditional insertions, naming the parameter value a problem is found with", async () => {
    const file = copy("templates/verify.yml", join("templates", "verify.yml"), (t) =>
      t
        .replace("scriptLocation: inlineScript", "scriptLocaton: inlineScript")
        .replace(
          "            set -uo pipefail",
          "            set -uo pipefail\n            echo $(PULUMI_ACCESS_TOKEN)",
        ),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    const withConnection = '(with azureSubscription: "sample")';
    expect(text).toContain(`schema: /steps/1/inputs has unknown key scriptLocaton ${withConnection}`);
    expect(text).toContain(`step 2: secret $(PULUMI_ACCESS_TOKEN) used in the script; map it in env ${withConnection}`);
    expect(text).toMatch(/2 problems$/m);
  });

  it("refuses a condition it cannot evaluate instead of guessing a branch", async () => {
    const file = copy("templates/verify.yml", join("templates", "verify.yml"), (t) =>
      t.replace("if eq(parameters.azureSubscription, '')", "if eq(variables.connection, '')"),
    );
    const { code, text } = await validate([file]);
    expect(code).toBe(1);
    expect(text).toContain(
      "cannot expand its template expressions: the condition eq(variables.connection, '') uses variables.connection, which this check does not evaluate",
    );
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

/** A step of templates/verify.yml, as far as these tests read it. */
interface TemplateStep {
  bash?: string;
  task?: string;
  name?: string;
  displayName?: string;
  workingDirectory?: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
}

/**
 * templates/verify.yml as Azure Pipelines expands it for these parameters (the defaults for the others), every
 * `${{ parameters.x }}` in a value replaced as the agent sees it (booleans as True and False), and its verify step.
 */
function verifyStepOf(parameters: Record<string, unknown>): { steps: TemplateStep[]; verify: TemplateStep } {
  const doc = parse(readFileSync(join(root, "templates", "verify.yml"), "utf8")) as {
    parameters: { name: string; default?: unknown }[];
  };
  const values = Object.fromEntries(doc.parameters.map((p) => [p.name, parameters[p.name] ?? p.default]));
  const shown = (v: unknown) => (typeof v === "boolean" ? (v ? "True" : "False") : String(v));
  const substitute = (node: unknown): unknown =>
    typeof node === "string"
      ? node.replace(/\$\{\{\s*parameters\.(\w+)\s*\}\}/g, (_m, name: string) => shown(values[name]))
      : Array.isArray(node)
        ? node.map(substitute)
        : node !== null && typeof node === "object"
          ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v)]))
          : node;
  const { steps } = substitute(expand(doc, values)) as { steps: TemplateStep[] };
  return { steps, verify: steps.find((s) => s.name === "entraCertAuthVerify") as TemplateStep };
}

describe("the conditional insertions the check expands (scripts/template-expressions.js)", () => {
  const doc = {
    steps: [
      { "${{ if eq(parameters.kind, 'Bash') }}": [{ bash: "b" }] },
      { "${{ elseif and(ne(parameters.kind, ''), not(parameters.quiet)) }}": [{ task: "T@1" }, { task: "U@1" }] },
      { "${{ else }}": [{ script: "s" }] },
      { bash: "last", "${{ if parameters.quiet }}": { condition: "false" } },
    ],
  };
  it.each<[string, Record<string, unknown>, unknown[]]>([
    ["if (eq compares strings in any case)", { kind: "bash", quiet: false }, [{ bash: "b" }, { bash: "last" }]],
    ["elseif", { kind: "task", quiet: false }, [{ task: "T@1" }, { task: "U@1" }, { bash: "last" }]],
    [
      "else, and an insertion into a mapping",
      { kind: "task", quiet: true },
      [{ script: "s" }, { bash: "last", condition: "false" }],
    ],
  ])("takes the branch Azure Pipelines takes: %s", (_name, parameters, steps) => {
    expect(expand(doc, parameters)).toEqual({ steps });
  });

  it("tries the defaults and each value a condition compares a parameter with, so that every branch gets checked", () => {
    const declared = [
      { name: "kind", type: "string", default: "" },
      { name: "quiet", type: "boolean", default: false },
      { name: "unused", type: "string", default: "x" },
    ];
    const tried = variants(declared, doc);
    expect(tried.map((v) => v.label)).toEqual(["", 'with kind: "Bash"', 'with kind: "sample"', "with quiet: true"]);
    const taken = tried.map((v) => JSON.stringify(expand(doc, v.values)));
    for (const step of ['"bash":"b"', '"task":"T@1"', '"script":"s"', '"condition":"false"'])
      expect(
        taken.some((t) => t.includes(step)),
        step,
      ).toBe(true);
  });

  it("starts a new chain at each if: an else belongs to the if just before it", () => {
    const chains = [
      { "${{ if eq(parameters.kind, 'a') }}": [1] },
      { "${{ if eq(parameters.kind, 'b') }}": [2] },
      { "${{ else }}": [3] },
    ];
    expect(expand(chains, { kind: "a" })).toEqual([1, 3]);
    expect(expand(chains, { kind: "b" })).toEqual([2]);
  });

  it("refuses an elseif that follows no if, and a parameter that is not declared", () => {
    expect(() => expand([{ "${{ else }}": [1] }], {})).toThrow(`\${{ else }} follows no \${{ if }}`);
    expect(() => expand([{ "${{ if parameters.nope }}": [1] }], {})).toThrow(
      "the condition parameters.nope names parameters.nope, which is not declared",
    );
  });
});

describe("templates/verify.yml's verify step, with and without azureSubscription", () => {
  it("is a bash step without azureSubscription, and with it AzureCLI@2 on that service connection running the same script", () => {
    const plain = verifyStepOf({ stack: "dev" });
    const azure = verifyStepOf({ stack: "dev", azureSubscription: "orders-connection" });
    expect(plain.verify.bash).toMatch(/^set -uo pipefail\n/);
    expect(plain.verify.task).toBeUndefined();
    expect(azure.verify.task).toBe("AzureCLI@2");
    expect(azure.verify.inputs).toMatchObject({
      azureSubscription: "orders-connection",
      scriptType: "bash",
      scriptLocation: "inlineScript",
      workingDirectory: plain.verify.workingDirectory,
    });
    expect(azure.verify.inputs?.inlineScript).toBe(plain.verify.bash);
    // The same output variables' step name, the same env, and DefaultAzureCredential told to take the CLI's login.
    expect(azure.verify.name).toBe(plain.verify.name);
    expect(azure.verify.env).toEqual({ ...plain.verify.env, AZURE_TOKEN_CREDENTIALS: "AzureCliCredential" });
    expect(plain.verify.env).not.toHaveProperty("AZURE_TOKEN_CREDENTIALS");
    // Everything around the verify step is the same in both.
    const others = (steps: TemplateStep[]) => steps.filter((s) => s.name !== "entraCertAuthVerify");
    expect(others(azure.steps)).toEqual(others(plain.steps));
    expect(azure.steps.map((s) => s.name ?? s.displayName)).toEqual(plain.steps.map((s) => s.name ?? s.displayName));
  });

  describe("run as the agent runs it (bash on the script's file, with the step's env), against the local Entra ID and Key Vault", () => {
    const dir = fileTempDir("eca-template-run-");
    const file = vaultForFile(async (t) => {
      const signer = await t.identity(["Key Vault Crypto User"]);
      const bystander = await t.identity([]);
      const vaultCert = await t.createCertificate("pipeline-client");
      const vaultClient = await registerClient(t.entra, {
        grant: ["Data.Read"],
        cert: { certificatePem: vaultCert.certificatePem } as TestCertificate,
      });
      const localClient = await registerClient(t.entra, { grant: ["Data.Read"] });
      const caFile = join(dir, "ca-bundle.pem");
      writeFileSync(caFile, t.caBundle);
      return { signer, bystander, vaultCert, vaultClient, localClient, caFile };
    });

    const vaultOutputs = (cert: VaultCertificate, client: RegisteredClient) =>
      vaultStackOutputsFor(file.t.entra, client, cert.keyId);

    /**
     * Runs the verify step's script as the agent does (the script in a file run by bash, as AzureCLI@2 runs it,
     * microsoft/azure-pipelines-tasks Tasks/AzureCLIV2/src/ScriptType.ts; in the working directory, with the step's
     * env and the previous step's ENTRA_CERT_AUTH_OUTPUTS), and with `az`
     * logged in as `azIdentity` when given (what AzureCLI@2 does before the script). The CAs of the local services
     * are trusted through NODE_EXTRA_CA_CERTS, as an agent trusts a private CA. Nothing else of this process's
     * environment is passed on (no AZURE_* variable).
     */
    async function runVerifyStep(
      step: TemplateStep,
      outputs: Record<string, unknown>,
      azIdentity?: VaultIdentity,
    ): Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
      report: Record<string, unknown>;
      azCalls: string[][];
    }> {
      const agentTemp = join(dir, `agent-${Math.random().toString(36).slice(2)}`);
      mkdirSync(agentTemp);
      try {
        const outputsFile = join(agentTemp, "entra-cert-auth-outputs.json");
        writeFileSync(outputsFile, JSON.stringify(outputs), { mode: 0o600 });
        const scriptFile = join(agentTemp, "script.sh");
        writeFileSync(scriptFile, step.bash ?? step.inputs?.inlineScript ?? "");
        const az = azIdentity
          ? fakeAzureCli(agentTemp, await file.t.credential(azIdentity).getToken(`${vaultResource}/.default`))
          : undefined;
        const env: NodeJS.ProcessEnv = {
          PATH: az ? `${az.bin}:${process.env.PATH}` : process.env.PATH,
          HOME: process.env.HOME,
          AGENT_TEMPDIRECTORY: agentTemp,
          ENTRA_CERT_AUTH_OUTPUTS: outputsFile,
          NODE_EXTRA_CA_CERTS: file.caFile,
          ...step.env,
        };
        const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
          const child = spawn("bash", [scriptFile], { cwd: root, env, stdio: "pipe" });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (c) => (stdout += c));
          child.stderr.on("data", (c) => (stderr += c));
          const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
          child.on("error", reject);
          child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
          });
        });
        const reportFile = join(agentTemp, "entra-cert-auth-verify.json");
        const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, "utf8")) : {};
        return { ...result, report, azCalls: az?.calls() ?? [] };
      } finally {
        rmSync(agentTemp, { recursive: true, force: true });
      }
    }

    const outputVariables = (stdout: string) =>
      Object.fromEntries(
        [...stdout.matchAll(/^##vso\[task\.setvariable variable=(\w+);isOutput=true\](.*)$/gm)].map((m) => [
          m[1],
          m[2],
        ]),
      );

    it("without azureSubscription, verifies a stack whose key is in its outputs and sets exitCode and report", async () => {
      const { verify } = verifyStepOf({ stack: "dev", timeout: 60 });
      const run = await runVerifyStep(verify, stackOutputsFor(file.t.entra, file.localClient, ["Data.Read"]));
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^verdict: verified \(exit 0\)$/m);
      expect(outputVariables(run.stdout)).toEqual({
        exitCode: "0",
        report: expect.stringMatching(/entra-cert-auth-verify\.json$/),
      });
      expect(run.report).toMatchObject({ verdict: "verified", exitCode: 0 });
      expectNoSecrets(run.stdout + run.stderr, [file.localClient.cert.privateKeyPem]);
    });

    it("with azureSubscription, signs through Key Vault as the identity the Azure CLI is logged in as", async () => {
      const { verify } = verifyStepOf({ stack: "dev", timeout: 60, azureSubscription: "orders-connection" });
      const run = await runVerifyStep(verify, vaultOutputs(file.vaultCert, file.vaultClient), file.signer);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(outputVariables(run.stdout)).toMatchObject({ exitCode: "0" });
      expect(run.report).toMatchObject({
        verdict: "verified",
        inputs: { privateKey: "in Key Vault", keyVaultKeyId: file.vaultCert.keyId },
      });
      // AzureCliCredential asked the CLI for a Key Vault token, in the vault's tenant (from its challenge).
      expect(run.azCalls.length).toBeGreaterThan(0);
      for (const call of run.azCalls) {
        expect(call.slice(0, 6)).toEqual([
          "account",
          "get-access-token",
          "--output",
          "json",
          "--resource",
          vaultResource,
        ]);
        expect(call.slice(6)).toEqual(["--tenant", file.t.entra.tenantId]);
      }
      // Neither the Key Vault token the CLI handed out nor the assertion or access token reaches the job's log.
      expectNoSecrets(run.stdout + run.stderr, [file.signer.cert.privateKeyPem]);
    });

    it("with azureSubscription, fails at once (exit 4) naming the role when the connection's identity may not sign", async () => {
      const { verify } = verifyStepOf({ stack: "dev", timeout: 60, azureSubscription: "orders-connection" });
      const run = await runVerifyStep(verify, vaultOutputs(file.vaultCert, file.vaultClient), file.bystander);
      expect(run.code).toBe(exitCodes.authentication);
      expect(outputVariables(run.stdout)).toMatchObject({ exitCode: String(exitCodes.authentication) });
      expect(run.stdout).toMatch(/^verdict: failed \(exit 4\): the identity may not read .+ Key Vault Crypto User/m);
      expect(run.stdout).toContain("##vso[task.logissue type=error]entra-cert-auth verify failed with exit code 4");
      expectNoSecrets(run.stdout + run.stderr, [file.bystander.cert.privateKeyPem]);
    });
  });
});
