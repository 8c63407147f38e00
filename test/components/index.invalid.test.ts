import { expect, it } from "vitest";
import { importProgram, installEngine } from "../support/program";

it("stops on invalid configuration before any resource is registered", async () => {
  const env = installEngine({ config: { keySize: 1024, validityDays: 10, earlyRenewalDays: 30 } });
  await expect(importProgram()).rejects.toThrow(
    /keySize 1024 is not supported[\s\S]*validityDays 10 must be longer than earlyRenewalDays 30/,
  );
  await env.engine.settled();
  expect(env.engine.registered).toEqual([]);
});
