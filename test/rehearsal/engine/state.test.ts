import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AbortedError, type EngineEvent } from "../../../rehearsal/engine";
import { expectHolds } from "../../support/secrets";
import { passwords, removeFixtures, setup } from "./fixture";
import { opsOf, type Ran, run } from "./support";

/*
 * One stack, deployed by a recorded chain of runs in beforeAll; the tests only assert on what those runs returned
 * and left. Why a chain: every run starts the program through Pulumi's cmd/run, about 0.8 s of CPU spent loading
 * @pulumi/pulumi that cannot be lowered, so the suite gets faster only with fewer starts. Each sequence
 * below used to deploy a stack of its own (17 starts); in this order every run finds the state its test needs, and
 * the chain takes 10. beforeAll runs whichever test -t picks, so each test still passes alone; a test whose run did
 * not happen fails naming it.
 */

const pin = "pin-4711-secret";
/** Config of the runs, unless a run says otherwise. */
const base = { "fixture:count": "1", "fixture:pin": pin, "fixture:token": "t-2" };
const three = { ...base, "fixture:count": "3", "fixture:length": "15", "fixture:dbr": "true" };

interface Link {
  name: string;
  config: Record<string, string>;
  dryRun?: boolean;
  /** `op:name` of the step after which the run is aborted through its signal; it must then end in AbortedError. */
  abortAfter?: string;
}

const chain: Link[] = [
  // A fresh stack: pw0 (length 12) is created; the StackReference to this stack finds no saved outputs yet.
  { name: "first", config: { ...base, "fixture:token": "t-1" } },
  // A replacementTrigger that appears replaces nothing; the StackReference reads back the token "first" saved.
  { name: "trigger appears", config: { ...base, "fixture:trigger": "a" } },
  { name: "trigger changes", config: { ...base, "fixture:trigger": "b" } },
  { name: "trigger goes", config: base },
  // pw0 has length 12 and there is no pw1: this preview would replace the one and create the other.
  { name: "preview", config: { ...base, "fixture:count": "2", "fixture:length": "20" }, dryRun: true },
  { name: "replace, default order", config: { ...base, "fixture:length": "13" } },
  { name: "replace, deleteBeforeReplace", config: { ...base, "fixture:length": "14", "fixture:dbr": "true" } },
  // Three passwords wanted: pw0 is replaced (its old self deleted first) and the run aborted once the new pw0
  // exists. pw1 waits on pw0's result, which the program never receives, so nothing else is created.
  { name: "aborted", config: three, abortAfter: "replace:pw0" },
  { name: "after the abort", config: three },
  // Back to one password: pw1 and pw2, created by "after the abort", are no longer declared.
  { name: "shrunk", config: { ...three, "fixture:count": "1" } },
];

interface Recorded {
  /** What runEngine returned; absent when it threw. */
  ran?: Ran;
  error?: unknown;
  /** Everything reported, also by a run that threw. */
  events: EngineEvent[];
  /** checkpoint.json before and after the run (undefined: there was none). */
  before?: Buffer;
  after?: Buffer;
  /** checkpoint.key after the run. */
  key?: { text: string; mode: number };
}

const records = new Map<string, Recorded>();
let stopped = "";

beforeAll(async () => {
  // Transpile-only, as transpileOnlyByDefault does for single tests: the type-check has its test in fixtures.test.ts.
  vi.stubEnv("PULUMI_NODEJS_TRANSPILE_ONLY", "true");
  try {
    const { base: project, stateDir } = setup(passwords);
    const file = (name: string) => (existsSync(join(stateDir, name)) ? readFileSync(join(stateDir, name)) : undefined);
    for (const link of chain) {
      const record: Recorded = { events: [], before: file("checkpoint.json") };
      records.set(link.name, record);
      const controller = new AbortController();
      const aborting = link.abortAfter
        ? {
            signal: controller.signal,
            afterStep: async (step: { op: string; name: string }) => {
              if (`${step.op}:${step.name}` === link.abortAfter) controller.abort();
            },
          }
        : {};
      try {
        record.ran = await run({
          ...project,
          ...aborting,
          config: link.config,
          secretKeys: ["fixture:pin"],
          dryRun: link.dryRun ?? false,
          onEvent: (e) => record.events.push(e),
        });
      } catch (e) {
        record.error = e;
      }
      record.after = file("checkpoint.json");
      const key = file("checkpoint.key");
      if (key) record.key = { text: key.toString("utf8"), mode: statSync(join(stateDir, "checkpoint.key")).mode };
      // The later runs assume the state this one was to leave: after a surprise, they are not run.
      const asPlanned = link.abortAfter ? record.error instanceof AbortedError : record.error === undefined;
      if (!asPlanned) {
        stopped = `"${link.name}", which ${record.error === undefined ? "was not aborted" : `failed: ${String(record.error)}`}`;
        break;
      }
    }
  } finally {
    vi.unstubAllEnvs();
  }
}, 180_000);

afterAll(removeFixtures);

/** The chain's run `name`, as recorded. */
function recorded(name: string): Recorded {
  const record = records.get(name);
  if (!record)
    throw new Error(`the chain's run "${name}" did not happen${stopped ? `: the chain stopped at ${stopped}` : ""}`);
  return record;
}

/** What the chain's run `name` returned. */
function returned(name: string): Ran {
  const record = recorded(name);
  if (!record.ran) throw new Error(`the chain's run "${name}" failed: ${String(record.error)}`);
  return record.ran;
}

const stepsOf = (events: EngineEvent[]) => events.flatMap((e) => (e.kind === "step" ? [e.step] : []));

describe("replacementTrigger follows step_generator.go shouldTriggerReplace", () => {
  it("replaces only when the old and the new trigger are both present and differ", () => {
    const first = returned("first");
    expect(opsOf(first.steps)).toEqual(["create:pw0"]);
    expect(first.outputs.first).toEqual(expect.any(String));
    const appears = returned("trigger appears");
    expect(opsOf(appears.steps)).toEqual(["same:pw0"]);
    expect(appears.outputs.first).toBe(first.outputs.first);
    const changes = returned("trigger changes");
    expect(opsOf(changes.steps)).toEqual(["replace:pw0", "delete:pw0"]);
    expect(changes.steps.find((s) => s.op === "replace")?.keys).toEqual(["replacementTrigger"]);
    expect(changes.outputs.first).not.toBe(first.outputs.first);
    const goes = returned("trigger goes");
    expect(opsOf(goes.steps)).toEqual(["same:pw0"]);
  });
});

describe("replacement order", () => {
  it("deleteBeforeReplace deletes the old resource first; the default deletes it at the end", () => {
    const cbd = returned("replace, default order");
    expect(opsOf(cbd.steps)).toEqual(["replace:pw0", "delete:pw0"]);
    const dbr = returned("replace, deleteBeforeReplace");
    expect(opsOf(dbr.steps)).toEqual(["delete:pw0", "replace:pw0"]);
    expect(String(dbr.outputs.first)).toHaveLength(14);
  });
});

describe("state across runs", () => {
  it("a preview changes nothing: the checkpoint stays byte-identical and new outputs are unknown", () => {
    const preview = returned("preview");
    expect(opsOf(preview.steps)).toEqual(["replace:pw0", "create:pw1"]);
    expect(preview.outputs.first).toBeUndefined();
    const { before, after } = recorded("preview");
    expect(before).toBeInstanceOf(Buffer);
    expect(before && after?.equals(before)).toBe(true);
  });

  it("deletes what the program no longer declares at the end, dependents first", () => {
    const shrunk = returned("shrunk");
    expect(opsOf(shrunk.steps)).toEqual(["same:pw0", "delete:pw2", "delete:pw1"]);
    expect(shrunk.steps.filter((s) => s.op === "delete").every((s) => s.reason === "removed")).toBe(true);
  });

  it("an abort mid-deploy leaves a checkpoint of what exists, and the next run continues from it", () => {
    const aborted = recorded("aborted");
    expect(aborted.error).toBeInstanceOf(AbortedError);
    // It stopped right after the step it was aborted after.
    expect(opsOf(stepsOf(aborted.events))).toEqual(["delete:pw0", "replace:pw0"]);
    const saved = aborted.after?.toString("utf8") ?? "";
    expect(saved).toContain("::pw0");
    expect(saved).not.toContain("::pw1");
    expect(saved).not.toContain("::pw2");
    const next = returned("after the abort");
    expect(opsOf(next.steps)).toEqual(["same:pw0", "create:pw1", "create:pw2"]);
    // pw0 is the one the aborted run created (length 15), as its checkpoint kept it.
    expect(String(next.outputs.first)).toHaveLength(15);
  });
});

describe("StackReference", () => {
  it("reads this stack's last saved outputs, secrets still secret, as a read step", () => {
    const first = returned("first");
    expect(first.steps.filter((s) => s.op === "read").map((s) => s.type)).toEqual(["pulumi:pulumi:StackReference"]);
    expect(first.outputs.previous).toBeUndefined();
    const second = returned("trigger appears");
    expect(second.outputs.previous).toBe("t-1");
    expect(second.outputs.token).toBe("t-2");
    expect(second.secretOutputNames).toEqual(expect.arrayContaining(["previous", "token"]));
  });
});

describe("secrets", () => {
  it("are encrypted in the checkpoint under a 0600 key, stay secret across runs, and are scrubbed from diagnostics", () => {
    const first = returned("first");
    const password = String(first.outputs.first);
    expect(password).toHaveLength(12);
    expect(first.secretOutputNames).toContain("first");
    const { after, key } = recorded("first");
    const text = after?.toString("utf8") ?? "";
    expectHolds(text, password, "the checkpoint holds the password in the clear", false);
    expect(text).toContain("ciphertext");
    expect(key?.text.trim()).toHaveLength(44);
    expect((key?.mode ?? 0) & 0o777).toBe(0o600);
    const messages = first.events.flatMap((e) => (e.kind === "diagnostic" ? [e.message] : []));
    expect(messages.some((m) => m.includes("the pin is [secret]"))).toBe(true);
    expectHolds(messages.join("\n"), pin, "a diagnostic holds the pin", false);
    const second = returned("trigger appears");
    expect(second.outputs.first).toBe(password);
    expect(second.secretOutputNames).toContain("first");
  });
});
