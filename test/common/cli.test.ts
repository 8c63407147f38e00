import { describe, expect, it } from "vitest";
import { type CliIO, type Command, nearestFlag, runCommand } from "../../common/cli";
import { ArgumentError, CliError } from "../../common/errors";
import { expectHolds } from "../support/secrets";

/** An in-memory terminal: what a command printed, per stream. */
function terminal(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: "", stderr: "" };
  const io: CliIO = {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env,
    stdin: (async function* () {})(),
  };
  return { io, out };
}

const flags = { name: { type: "string" }, count: { type: "string", default: "1" }, loud: { type: "boolean" } } as const;

class NotFound extends CliError {
  constructor(message: string) {
    super("ERR_NOT_FOUND", 3, message);
  }
}

function command(run: Command<typeof flags, { name: string; count: number }>["run"], json = true) {
  const c: Command<typeof flags, { name: string; count: number }> = {
    name: "demo",
    usage: "usage: demo --name <n> [--count N]",
    flags,
    json,
    parse(values) {
      if (values.name === undefined) throw new ArgumentError("--name is required");
      const count = Number(values.count);
      if (!Number.isInteger(count)) throw new ArgumentError("--count must be a whole number");
      return { name: values.name, count };
    },
    run,
  };
  return c;
}

const ok = command(async (options, io) => {
  io.stdout.write(`hello ${options.name} x${options.count}\n`);
  return 0;
});

describe("runCommand, the one CLI edge", () => {
  it("parses the flags with their inferred types and runs the command", async () => {
    const { io, out } = terminal();
    expect(await runCommand(ok, ["--name", "ada", "--count", "3"], io)).toBe(0);
    expect(out).toEqual({ stdout: "hello ada x3\n", stderr: "" });
  });

  it("prints the usage on stdout with -h or --help and exits 0 without running", async () => {
    for (const flag of ["-h", "--help"]) {
      const { io, out } = terminal();
      expect(await runCommand(ok, [flag], io)).toBe(0);
      expect(out).toEqual({ stdout: "usage: demo --name <n> [--count N]\n", stderr: "" });
    }
  });

  it("answers --help --json with one JSON object holding the usage", async () => {
    const { io, out } = terminal();
    expect(await runCommand(ok, ["--help", "--json"], io)).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ usage: "usage: demo --name <n> [--count N]" });
  });

  it.each([
    [["--name", "a", "--colour"], "unknown option --colour; see --help"],
    [["--name", "a", "--cuont", "2"], "unknown option --cuont (did you mean --count?); see --help"],
    [["--nmae", "a"], "unknown option --nmae (did you mean --name?); see --help"],
    [["--name", "a", "-x"], "unknown option -x; see --help"],
    [["--name"], "--name needs a value; see --help"],
    [["--name", "a", "--loud=yes"], "--loud takes no value; see --help"],
    [["--name", "a", "stray"], "unexpected argument: every value follows its --flag; see --help"],
    [["--count", "2"], "--name is required"],
    [["--name", "a", "--count", "two"], "--count must be a whole number"],
  ])("rejects %j with exit code 2 and one line: %s", async (argv, message) => {
    const { io, out } = terminal();
    expect(await runCommand(ok, argv, io)).toBe(2);
    expect(out).toEqual({ stdout: "", stderr: `demo: ${message}\n` });
  });

  it.each([
    ["--key-vualt", ["key-vault", "rotate"], "key-vault"],
    ["--keyvault", ["key-vault", "rotate"], "key-vault"],
    ["--propagation-dely", ["propagation-delay", "preview"], "propagation-delay"],
    ["--rotae", ["key-vault", "rotate"], "rotate"],
    ["--nope", ["name", "count", "loud"], undefined],
    ["--dri", ["dir", "dry"], undefined],
    ["-x", ["x-ray"], undefined],
  ])("suggests for %s among %j: %s", (typed, known, expected) => {
    expect(nearestFlag(typed, known)).toBe(expected);
  });

  it("never quotes an unexpected argument or an odd flag name, which could be a pasted secret", async () => {
    const secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC";
    for (const argv of [
      ["--name", "a", secret],
      ["--name", "a", `--${secret}=1`],
    ]) {
      const { io, out } = terminal();
      expect(await runCommand(ok, argv, io)).toBe(2);
      expectHolds(out.stderr, secret.slice(0, 20), "stderr holds the secret", false);
    }
  });

  it("says a long or odd unknown flag is unknown without quoting it, and quotes a short lowercase one", async () => {
    const cases: [string[], string][] = [
      [
        ["--name", "a", "--this-flag-name-is-far-too-long-to-be-a-real-one"],
        "demo: an unknown option was given (its name is not shown); see --help\n",
      ],
      [["--name", "a", "--S3cretPassw0rd"], "demo: an unknown option was given (its name is not shown); see --help\n"],
      [["--name", "a", "--nope"], "demo: unknown option --nope; see --help\n"],
    ];
    for (const [argv, expected] of cases) {
      const { io, out } = terminal();
      expect(await runCommand(ok, argv, io)).toBe(2);
      expect(out.stderr).toBe(expected);
    }
  });

  it("hands a negative number after a flag to the command's own check instead of saying the flag needs a value", async () => {
    const { io, out } = terminal();
    expect(await runCommand(ok, ["--name", "a", "--count", "-5.5"], io)).toBe(2);
    expect(out.stderr).toBe("demo: --count must be a whole number\n");
    const joined = terminal();
    expect(await runCommand(ok, ["--name", "a", "--count", "-5"], joined.io)).toBe(0);
    expect(joined.out.stdout).toBe("hello a x-5\n");
  });

  it("prints a typed error's message on one line even when it holds line breaks", async () => {
    const failing = command(async () => {
      throw new NotFound("first\n  second\r\nthird");
    });
    const { io, out } = terminal();
    expect(await runCommand(failing, ["--name", "a", "--json"], io)).toBe(3);
    expect(out.stderr).toBe("demo: first second third\n");
    expect(JSON.parse(out.stdout).error.message).toBe("first second third");
  });

  it("prints exactly one JSON object on stdout for an argument error under --json", async () => {
    const { io, out } = terminal();
    expect(await runCommand(ok, ["--json", "--colour"], io)).toBe(2);
    expect(JSON.parse(out.stdout)).toEqual({
      exitCode: 2,
      error: { code: "ERR_BAD_INPUT", message: "unknown option --colour; see --help" },
    });
    expect(out.stderr).toBe("demo: unknown option --colour; see --help\n");
  });

  it("uses the command's own JSON shape for failures when it has one", async () => {
    const c = { ...ok, failureJson: (f: { code: string }) => ({ schema: "demo@1", failed: f.code }) };
    const { io, out } = terminal();
    expect(await runCommand(c, ["--json"], io)).toBe(2);
    expect(JSON.parse(out.stdout)).toEqual({ schema: "demo@1", failed: "ERR_BAD_INPUT" });
  });

  it("does not take --json as a flag when the command has no JSON form, nor after --", async () => {
    const plain = command(async () => 0, false);
    const { io, out } = terminal();
    expect(await runCommand(plain, ["--json"], io)).toBe(2);
    expect(out).toEqual({ stdout: "", stderr: "demo: unknown option --json; see --help\n" });
    const again = terminal();
    expect(await runCommand(ok, ["--name", "a", "--", "--json"], again.io)).toBe(2);
    expect(again.out.stdout).toBe("");
  });

  it("maps a typed error from the run to its message and exit code", async () => {
    const failing = command(async () => {
      throw new NotFound("no such thing: check --name");
    });
    const { io, out } = terminal();
    expect(await runCommand(failing, ["--name", "a", "--json"], io)).toBe(3);
    expect(out.stderr).toBe("demo: no such thing: check --name\n");
    expect(JSON.parse(out.stdout).error).toEqual({ code: "ERR_NOT_FOUND", message: "no such thing: check --name" });
  });

  it("reports an unexpected error by its kind only, exit code 1, since its message may hold anything", async () => {
    const failing = command(async () => {
      throw new TypeError("cannot read privateKeyPem -----BEGIN PRIVATE KEY-----");
    });
    const { io, out } = terminal();
    expect(await runCommand(failing, ["--name", "a"], io)).toBe(1);
    expect(out.stderr).toBe("demo: unexpected TypeError\n");
    const thrown = command(async () => Promise.reject("a string"));
    const second = terminal();
    expect(await runCommand(thrown, ["--name", "a"], second.io)).toBe(1);
    expect(second.out.stderr).toBe("demo: unexpected string\n");
  });

  it("names typed errors after their class", () => {
    expect(new NotFound("x").name).toBe("NotFound");
    expect(new ArgumentError("x")).toMatchObject({ name: "ArgumentError", code: "ERR_BAD_INPUT", exitCode: 2 });
  });
});
