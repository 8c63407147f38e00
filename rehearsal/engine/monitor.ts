import * as grpc from "@grpc/grpc-js";
import { EngineService, type IEngineServer } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { type IResourceMonitorServer, ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { messageOf } from "../../common/errors";
import type { Deployment } from "./deployment";
import { fromProtoValue, fromStruct, revealMap, toPlainMap, toStruct, type ValueMap } from "./wire";

/** What the program told the engine besides resources: diagnostics and its progress. */
export interface MonitorHooks {
  log(severity: "debug" | "info" | "warning" | "error", message: string, urn: string): void;
  /** The program's first RPC after its stack resource: loading (and type-checking) is over. */
  programStarted(): void;
  stackRegistered(): void;
}

/**
 * Features this engine has, asked by the SDK at start (runtime/settings.js
 * awaitFeatureSupport). Secrets only: without resource references and
 * output values the SDK sends plain ids and resolved values, which is all
 * the providers need; transforms, hooks and packages are refused cleanly.
 */
const features = new Set(["secrets"]);

export interface Monitor {
  address: string;
  stop(): Promise<void>;
}

/** Serves pulumirpc.ResourceMonitor and pulumirpc.Engine on 127.0.0.1, a free port. */
export async function serveMonitor(deployment: Deployment, hooks: MonitorHooks): Promise<Monitor> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  let rootUrn = "";
  let started = false;
  const programRpc = () => {
    if (!started) {
      started = true;
      hooks.programStarted();
    }
  };
  const monitor: IResourceMonitorServer = {
    supportsFeature: (call, cb) =>
      cb(null, new resproto.SupportsFeatureResponse().setHassupport(features.has(call.request.getId()))),
    registerResource: (call, cb) => {
      const r = call.request;
      if (r.getType() === "pulumi:pulumi:Stack") hooks.stackRegistered();
      else programRpc();
      respond(
        cb,
        deployment.track(
          deployment.register({
            type: r.getType(),
            name: r.getName(),
            parent: r.getParent(),
            custom: r.getCustom(),
            inputs: fromStruct(r.getObject()),
            dependencies: [
              ...new Set([
                ...r.getDependenciesList(),
                ...[...r.getPropertydependenciesMap().entries()].flatMap(([, d]) => d.getUrnsList()),
              ]),
            ],
            deleteBeforeReplace: r.getDeletebeforereplace(),
            replacementTrigger: r.hasReplacementTrigger() ? fromProtoValue(r.getReplacementTrigger()) : undefined,
            additionalSecretOutputs: r.getAdditionalsecretoutputsList(),
            ignoreChanges: r.getIgnorechangesList(),
            replaceOnChanges: r.getReplaceonchangesList(),
          }),
        ),
        (done) => {
          const res = new resproto.RegisterResourceResponse()
            .setUrn(done.urn)
            .setId(done.id)
            .setObject(toStruct(done.outputs));
          return res;
        },
      );
    },
    registerResourceOutputs: (call, cb) => {
      deployment.registerOutputs(call.request.getUrn(), fromStruct(call.request.getOutputs()));
      cb(null, new Empty());
    },
    readResource: (call, cb) => {
      programRpc();
      const r = call.request;
      respond(
        cb,
        deployment.track(
          deployment.read(r.getType(), r.getName(), r.getParent(), r.getId(), fromStruct(r.getProperties())),
        ),
        (done) => new resproto.ReadResourceResponse().setUrn(done.urn).setProperties(toStruct(done.outputs)),
      );
    },
    invoke: (call, cb) => {
      programRpc();
      const args: ValueMap = fromStruct(call.request.getArgs());
      respond(cb, deployment.track(deployment.invoke(call.request.getTok(), toPlainMap(revealMap(args)))), (result) =>
        new provproto.InvokeResponse().setReturn(toStruct(result)),
      );
    },
    // The SDK calls this at exit; delete hooks are not supported, so there is nothing to wait for.
    signalAndWaitForShutdown: (_call, cb) => cb(null, new Empty()),
    getDeploymentInfo: unimplemented("GetDeploymentInfo"),
    call: unimplemented("Call (multi-language components)"),
    registerStackTransform: unimplemented("RegisterStackTransform (transforms)"),
    registerStackInvokeTransform: unimplemented("RegisterStackInvokeTransform (invoke transforms)"),
    registerResourceHook: unimplemented("RegisterResourceHook (resource hooks)"),
    registerErrorHook: unimplemented("RegisterErrorHook (error hooks)"),
    registerPackage: unimplemented("RegisterPackage (parameterized packages)"),
  };
  const engine: IEngineServer = {
    log: (call, cb) => {
      const r = call.request;
      hooks.log(severityOf(r.getSeverity()), r.getMessage(), r.getUrn());
      cb(null, new Empty());
    },
    getRootResource: (_call, cb) => cb(null, new engproto.GetRootResourceResponse().setUrn(rootUrn)),
    setRootResource: (call, cb) => {
      rootUrn = call.request.getUrn();
      cb(null, new engproto.SetRootResourceResponse());
    },
    startDebugging: unimplemented("StartDebugging"),
    requirePulumiVersion: (_call, cb) => cb(null, new engproto.RequirePulumiVersionResponse()),
  };
  server.addService(ResourceMonitorService, monitor);
  server.addService(EngineService, engine);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // A program killed mid-call leaves its calls open: do not wait for them.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 200).unref();
      }),
  };
}

function respond<T, R>(cb: grpc.sendUnaryData<R>, work: Promise<T>, toResponse: (t: T) => R): void {
  work.then(
    (t) => cb(null, toResponse(t)),
    (err: unknown) => cb({ code: grpc.status.UNKNOWN, details: messageOf(err) }),
  );
}

function unimplemented<Req, Res>(what: string): grpc.handleUnaryCall<Req, Res> {
  return (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: `the local engine does not implement ${what}` });
}

function severityOf(s: engproto.LogSeverity): "debug" | "info" | "warning" | "error" {
  if (s === engproto.LogSeverity.ERROR) return "error";
  if (s === engproto.LogSeverity.WARNING) return "warning";
  if (s === engproto.LogSeverity.INFO) return "info";
  return "debug";
}
