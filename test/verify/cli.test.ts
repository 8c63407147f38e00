import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate } from "../support/certificates";
import { keyRunIn, stopAndRemove } from "../support/cli";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";
import { runScript } from "../support/processes";
import { expectNoSecrets } from "../support/secrets";

/**
 * The compiled command end to end, once per exit-code class it can reach
 * quickly (0, 2, 3, 4); everything else is tested in-process (command.test.ts,
 * run.test.ts). Each test checks its own output for secrets.
 */
describe("npm run verify (the compiled CLI)", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  let dir: string;
  let outputsFile: string;

  const verify = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = await runScript("verify/main.ts", args, { env: { GITHUB_STEP_SUMMARY: "", ...env } }).done;
    expectNoSecrets(result.stdout + result.stderr, [client.cert.privateKeyPem]);
    expect(keyRunIn(result.stdout + result.stderr, client.cert.privateKeyPem)).toBeUndefined();
    return result;
  };

  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
    dir = mkdtempSync(join(tmpdir(), "eca-verify-"));
    outputsFile = join(dir, "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(stackOutputsFor(entra, client, ["Data.Read"]), null, 2));
  });
  afterAll(async () => {
    await stopAndRemove(entra);
    rmSync(dir, { recursive: true, force: true });
  });

  it("exit 0: verifies from an outputs file, prints a table and a verdict, and writes the GitHub step summary", async () => {
    const summary = join(dir, "summary.md");
    const { code, stdout, stderr } = await verify(["--outputs", outputsFile, "--ca-file", entra.caPath], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}PASS {2}roles +Data.Read$/m);
    expect(stdout).toMatch(
      /^verified: a certificate-authenticated token for api:\/\/.+\/.default with Data.Read \(1 attempt, (\d+ ms|\d+\.\d s)\)$/m,
    );
    const markdown = readFileSync(summary, "utf8");
    expect(markdown).toContain("### Entra ID certificate check: verified ✅");
    expect(markdown).toContain("| ✅ | roles | Data.Read |");
  });

  it("exit 2: rejects an unknown flag with one line naming it, and one JSON object with --json", async () => {
    const { code, stdout, stderr } = await verify(["--outputs", "x.json", "--colour", "--json"]);
    expect(code).toBe(2);
    expect(stderr).toBe("verify: unknown option --colour; see --help\n");
    expect(JSON.parse(stdout)).toMatchObject({
      schema: "entra-cert-auth/verify@1",
      verdict: "failed",
      exitCode: 2,
      error: { code: "ERR_BAD_INPUT", message: "unknown option --colour; see --help" },
    });
  });

  it("exit 3: reports a preflight failure as JSON with no key material", async () => {
    const other = await makeCertificate();
    const file = join(dir, "mismatch.json");
    writeFileSync(file, JSON.stringify({ ...stackOutputsFor(entra, client), privateKeyPem: other.privateKeyPem }));
    const { code, stdout, stderr } = await verify(["--outputs", file, "--json"]);
    expect(code).toBe(3);
    expect(JSON.parse(stdout).error).toEqual({
      code: "ERR_PREFLIGHT",
      message: expect.stringMatching(/^key matches certificate: /),
    });
    expectNoSecrets(stdout + stderr, [other.privateKeyPem]);
  });

  it("exit 4: stops at once when the authority's certificate is not trusted, saying how to pass a CA", async () => {
    const started = Date.now();
    const { code, stderr } = await verify(["--outputs", outputsFile]);
    expect(code).toBe(4);
    expect(stderr.trim().split("\n").at(-1)).toMatch(
      /^FAILED \(ERR_AUTHENTICATION, exit 4\): the authority's TLS certificate is not trusted \([A-Z_]+\): pass the CA that issued it with --ca-file <pem>/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
