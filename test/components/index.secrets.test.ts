import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { makeCertificate } from "../support/certificates";
import { capturingRejections, importProgram, installEngine, promiseOf } from "../support/program";
import { expectHolds, expectNoSecrets } from "../support/secrets";

const declared = parse(readFileSync(new URL("../../Pulumi.yaml", `file://${__filename}`), "utf8")) as {
  config: Record<string, { type: string }>;
};
// A private key, pasted where it does not belong: the easy slip `pulumi config set x "$(cat key.pem)"`.
const pasted = makeCertificate().then((c) => c.privateKeyPem);

/** Everything the program printed while it ran: console calls and direct writes to stdout and stderr. */
let printed: string[] = [];

beforeEach(() => {
  printed = [];
  const keep = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation(keep);
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
      keep(chunk);
      return true;
    });
});

afterEach(() => vi.restoreAllMocks());

/** The program's plain outputs, resolved; a secret output may hold what the user made secret. */
async function plainOutputs(program: Record<string, unknown>): Promise<Record<string, unknown>> {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value) || (await pulumi.isSecret(value))) continue;
    plain[name] = await promiseOf(value);
  }
  return plain;
}

describe("a private key given to any setting", () => {
  it.each(Object.keys(declared.config))(
    "as %s is printed nowhere and kept in no plain output or resource",
    async (key) => {
      const pem = await pasted;
      // As `--config` or a stack file gives it: a list through `--path 'key[0]'`, every other type as text.
      const env = installEngine({ config: { [key]: declared.config[key]?.type === "array" ? [pem] : pem } });
      const { result } = await capturingRejections(env.engine, async () => {
        try {
          return { outputs: await plainOutputs(await importProgram()) };
        } catch (error) {
          return { error };
        }
      });
      const { error, outputs } = result as { error?: unknown; outputs?: Record<string, unknown> };
      const seen = [
        error instanceof Error ? `${error.message}\n${error.stack}` : String(error ?? ""),
        ...printed,
        JSON.stringify(outputs ?? {}),
      ].join("\n");
      expectNoSecrets(seen, [pem]);
      // The resources hold the program's own generated key (secret in the real engine), but never this one.
      const resources = JSON.stringify(env.engine.registered);
      for (const [i, line] of pem
        .split("\n")
        .filter((l) => l.length > 20 && !l.startsWith("-----"))
        .entries())
        expectHolds(resources, line, `a resource holds line ${i + 1} of the pasted key`, false);
      // Refused at preview, except where a secret belongs (the PFX password is itself a secret output).
      if (key === "pfxPassword") expect(error).toBeUndefined();
      else expect(String(error), `${key} is refused, naming it`).toContain(key);
    },
  );
});
