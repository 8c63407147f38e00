import * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { stackPath } from "../../components/stack";

const mocks: pulumi.runtime.Mocks = {
  newResource: async (args) => ({ id: args.name, state: args.inputs }),
  call: async (args) => args.inputs,
};

it("names the stack with its organization, or without one when the CLI passes none", async () => {
  await pulumi.runtime.setMocks(mocks, "proj", "dev", false, "acme");
  expect(stackPath()).toBe("acme/proj/dev");
  await pulumi.runtime.setMocks(mocks, "proj", "dev", false);
  expect(stackPath()).toBe("proj/dev");
});
