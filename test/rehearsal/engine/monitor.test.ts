import * as grpc from "@grpc/grpc-js";
import { Callback } from "@pulumi/pulumi/proto/callback_pb";
import { ResourceMonitorClient } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Deployment } from "../../../rehearsal/engine/deployment";
import { type Monitor, serveMonitor } from "../../../rehearsal/engine/monitor";
import type { ResourceProvider } from "../../../rehearsal/engine/provider";

// The engine's gRPC face, spoken to with the SDK's own generated client.
const echo: ResourceProvider = {
  secretOutputs: ["token"],
  check: (news) => news,
  diff: () => ({ changed: [], replace: [] }),
  create: async (inputs) => ({ id: "id-1", outputs: { ...inputs, token: "t" } }),
  delete: async () => undefined,
};
const logs: string[] = [];
let monitor: Monitor;
let client: ResourceMonitorClient;

beforeAll(async () => {
  const deployment = new Deployment({
    project: "p",
    stack: "dev",
    dryRun: false,
    providers: { resources: { "test:index:Echo": echo }, reads: {}, invokes: {} },
    prior: { resources: [] },
    save: () => undefined,
    onStep: () => undefined,
  });
  monitor = await serveMonitor(deployment, {
    log: (_s, m) => logs.push(m),
    programStarted: () => undefined,
    stackRegistered: () => undefined,
  });
  client = new ResourceMonitorClient(monitor.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await monitor.stop();
});

const supports = (id: string) =>
  new Promise<boolean>((resolve, reject) =>
    client.supportsFeature(new resproto.SupportsFeatureRequest().setId(id), (err, res) =>
      err ? reject(err) : resolve(res.getHassupport()),
    ),
  );
const register = (req: resproto.RegisterResourceRequest) =>
  new Promise<resproto.RegisterResourceResponse>((resolve, reject) =>
    client.registerResource(req, (err, res) => (err ? reject(err) : resolve(res))),
  );
const transform = () =>
  new Promise<void>((resolve, reject) =>
    client.registerStackTransform(new Callback(), (err) => (err ? reject(err) : resolve())),
  );

describe("the resource monitor", () => {
  it("listens on 127.0.0.1 only", () => {
    expect(monitor.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("supports secrets and says no to features it does not implement", async () => {
    expect(await supports("secrets")).toBe(true);
    expect(await supports("transforms")).toBe(false);
    expect(await supports("resourceHooks")).toBe(false);
  });

  it("answers what it does not implement with UNIMPLEMENTED, naming it", async () => {
    const error = await transform().catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    expect(String(error)).toContain("RegisterStackTransform");
  });

  it("registers a resource and returns its URN, id and outputs with schema secrets marked", async () => {
    const req = new resproto.RegisterResourceRequest()
      .setType("test:index:Echo")
      .setName("e")
      .setCustom(true)
      .setObject(Struct.fromJavaScript({ a: "1" }));
    const res = await register(req);
    expect(res.getUrn()).toBe("urn:pulumi:dev::p::test:index:Echo::e");
    expect(res.getId()).toBe("id-1");
    const outputs = res.getObject()?.toJavaScript() ?? {};
    expect(outputs).toMatchObject({
      a: "1",
      token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "t" },
    });
  });

  it("fails a type without a provider with a message naming the type", async () => {
    const req = new resproto.RegisterResourceRequest().setType("acme:index:Nope").setName("n").setCustom(true);
    const error = await register(req).catch((e: grpc.ServiceError) => e);
    expect(String(error)).toContain("acme:index:Nope");
  });
});
