import * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { stackPath } from "../../components/stack";

const mocks: pulumi.runtime.Mocks = {
  newResource: async (args) => ({ id: args.name, state: args.inputs }),
  call: async (args) => args.inputs,
};

it("names the stack in full with the organization the CLI passes, Pulumi Cloud's or the DIY backend's", async () => {
  await pulumi.runtime.setMocks(mocks, "proj", "dev", false, "acme");
  expect(stackPath()).toBe("acme/proj/dev");
  await pulumi.runtime.setMocks(mocks, "proj", "dev", false, "organization");
  expect(stackPath()).toBe("organization/proj/dev");
});

it("names only the stack when the CLI passes no organization: never <project>/<stack>, which reads as <org>/<stack>", async () => {
  await pulumi.runtime.setMocks(mocks, "proj", "dev", false);
  expect(stackPath()).toBe("dev");
});
