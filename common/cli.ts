import { type ParseArgsConfig, parseArgs } from "node:util";
import { ArgumentError, type Failure, failureOf } from "./errors";
import { isQuotableFlag } from "./safe";

/** The flags a command declares, as node:util parseArgs takes them. */
export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** What parseArgs returns for `O` with strict parsing and no positionals, inferred (no casts). */
export type Flags<O extends FlagSpec> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>["values"];

/** How a command reaches the world; tests pass their own. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  stdin: AsyncIterable<Buffer | string>;
}

/** A failure as the edge reports it. */
export type { Failure };

/**
 * One command-line tool. Every CLI in the project has this shape, so help,
 * argument errors, failures and `--json` look the same in all of them.
 */
export interface Command<O extends FlagSpec, T> {
  /** The prefix of every message line, e.g. `verify`. */
  name: string;
  /** Printed by -h/--help, on stdout, exit 0. */
  usage: string;
  /** The command's flags; -h/--help is added, and --json when `json` is true. */
  flags: O;
  json?: boolean;
  /** Checks the parsed flags and turns them into the command's options; throws ArgumentError. */
  parse(flags: Flags<O>): T;
  /** Does the work and returns the exit code; a known failure is thrown as a CliError. */
  run(options: T, io: CliIO, json: boolean): Promise<number>;
  /** The one JSON object printed for a failure under --json; `{ exitCode, error }` when not given. */
  failureJson?(failure: Failure): object;
}

const helpFlag = { help: { type: "boolean", short: "h", default: false } } as const;
const jsonFlag = { json: { type: "boolean", default: false } } as const;

/**
 * Parses, runs, and maps whatever was thrown to one message line and an
 * exit code, in one place. Returns the exit code; never exits.
 */
export async function runCommand<O extends FlagSpec, T>(
  command: Command<O, T>,
  argv: string[],
  io: CliIO,
): Promise<number> {
  // Known before parsing, so that an argument error is still answered in JSON.
  const json = command.json === true && argv.slice(0, dashDash(argv)).includes("--json");
  try {
    const flags: O = { ...command.flags, ...helpFlag, ...(command.json ? jsonFlag : {}) };
    const values = parseFlags(flags, argv);
    if ("help" in values && values.help === true) {
      io.stdout.write(json ? `${JSON.stringify({ usage: command.usage })}\n` : `${command.usage}\n`);
      return 0;
    }
    return await command.run(command.parse(values), io, json);
  } catch (err) {
    const failure = failureOf(err);
    io.stderr.write(`${command.name}: ${failure.message}\n`);
    if (json) {
      const body = command.failureJson?.(failure) ?? {
        exitCode: failure.exitCode,
        error: { code: failure.code, message: failure.message },
      };
      io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    return failure.exitCode;
  }
}

/** The executable's whole body: run with the process's argv and streams, and set the exit code. */
export function runMain<O extends FlagSpec, T>(command: Command<O, T>): void {
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin };
  runCommand(command, process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}

function parseFlags<O extends FlagSpec>(options: O, args: string[]): Flags<O> {
  try {
    return parseArgs({ args: joinNegativeValues(options, args), options, strict: true, allowPositionals: false })
      .values;
  } catch (err) {
    throw new ArgumentError(`${argumentProblem(err, Object.keys(options))}; see --help`);
  }
}

/**
 * `--timeout -5` as `--timeout=-5`: parseArgs refuses a value starting with
 * `-` as ambiguous, so the command's own check (which says what a valid
 * value is) never saw it. Only a negative number is joined: no flag looks
 * like one.
 */
function joinNegativeValues(options: FlagSpec, args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
    if (arg === "--") {
      out.push(...args.slice(i + 1));
      break;
    }
  }
  return out;
}

/**
 * parseArgs' own messages quote what was typed and add advice about `--`;
 * these say the same in one short line and quote only a flag's name (an
 * argument could be a pasted secret).
 */
function argumentProblem(err: unknown, known: string[]): string {
  const { code, message } = err as { code?: string; message?: string };
  const typed = /'(-[^' ]*)/.exec(message ?? "")?.[1];
  const flag = isQuotableFlag(typed) ? typed : undefined;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      if (!flag) return "an unknown option was given (its name is not shown)";
      const near = nearestFlag(flag, known);
      return near ? `unknown option ${flag} (did you mean --${near}?)` : `unknown option ${flag}`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return "unexpected argument: every value follows its --flag";
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(message ?? "")) return `${flag ?? "an option"} takes no value`;
      return flag ? `${flag} needs a value` : "an option needs a value";
    default:
      return "the arguments cannot be parsed";
  }
}

/**
 * The declared flag a typo most likely meant: the only one within two edits (a swap of neighbours counts as one;
 * one edit for names under six letters) of what was typed, dashes aside. None when none or several are that near.
 */
export function nearestFlag(typed: string, known: string[]): string | undefined {
  const word = typed.replace(/^-+/, "");
  if (word.length < 3) return undefined;
  const bare = (s: string) => s.replace(/-/g, "");
  const within = word.length < 6 ? 1 : 2;
  const near = known.filter((k) => bare(k) === bare(word) || editDistance(k, word) <= within);
  return near.length === 1 ? near[0] : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours, one each. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}

const dashDash = (argv: string[]) => (argv.includes("--") ? argv.indexOf("--") : argv.length);
