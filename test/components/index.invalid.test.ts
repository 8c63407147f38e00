import { RunError } from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { ConfigError } from "../../components/errors";
import { importProgram, installEngine } from "../support/program";

it("stops on invalid configuration before any resource is registered", async () => {
  const env = installEngine({ config: { keySize: 1024, validityDays: 10, earlyRenewalDays: 30 } });
  await expect(importProgram()).rejects.toThrow(
    /keySize 1024 is not supported[\s\S]*validityDays 10 must be longer than earlyRenewalDays 30/,
  );
  await env.engine.settled();
  expect(env.engine.registered).toEqual([]);
});

it("stops as a Pulumi RunError, so the CLI prints the problems without a stack trace", async () => {
  installEngine({ config: { keySize: 1024 } });
  const error = await importProgram().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  // cmd/run's uncaughtHandler logs err.message alone for a RunError, err.stack otherwise.
  expect(RunError.isInstance(error)).toBe(true);
});
