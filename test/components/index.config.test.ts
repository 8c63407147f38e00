import { X509Certificate } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { importProgram, installEngine, ofType, promiseOf, types } from "../support/program";
import { openPfx } from "./openPfx";

it("reads stack configuration as `pulumi config set` stores it", async () => {
  const env = installEngine({
    config: {
      displayName: "orders-worker",
      keySize: 3072,
      validityDays: 30,
      earlyRenewalDays: 7,
      apiRoles: ["Orders.Read", "Orders.Write"],
      roles: ["Orders.Read"],
      authorityHost: "https://login.microsoftonline.us",
      pfxEncryption: "legacy3des",
      pfxPassword: "from-config",
    },
  });
  const program = await importProgram();
  const get = (o: unknown) => promiseOf(o as pulumi.Output<unknown>);
  const cert = new X509Certificate(String(await get(program.certificatePem)));
  await env.engine.settled();
  expect(cert.subject).toBe("CN=orders-worker");
  expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
  expect(await get(program.expectedRoles)).toEqual(["Orders.Read"]);
  expect(await get(program.authority)).toBe(`https://login.microsoftonline.us/${env.admin.tenantId}`);
  expect(ofType(env.engine, types.roleAssignment)).toHaveLength(1);
  expect(await get(program.pfxPassword)).toBe("from-config");
  expect(ofType(env.engine, types.password)).toEqual([]);
  expect(openPfx(String(await get(program.certificatePfx)), "from-config").encryption).toMatch(/TripleDES/);
});
