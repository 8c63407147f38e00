import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

interface Declared {
  type: "string" | "integer" | "boolean" | "array";
  default?: unknown;
}

/** A rehearsal that cannot start, with what to do about it. */
export class RehearsalInputError extends Error {
  readonly code = "ERR_REHEARSAL_INPUT";
  readonly exitCode = 2;
}

/** The project name and declared config of Pulumi.yaml. */
export function projectFile(root: string): { name: string; config: Record<string, Declared> } {
  return parse(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
}

/**
 * Stack config as the Pulumi CLI would hand it to the program: Pulumi.yaml
 * defaults, then `key=value` overrides, typed by their declaration. Values
 * are strings, lists and numbers in their JSON form, keyed `<project>:<key>`.
 */
export function stackConfig(root: string, overrides: string[]): Record<string, string> {
  const project = projectFile(root);
  const values: Record<string, string> = {};
  for (const [key, declared] of Object.entries(project.config)) {
    if (declared.default !== undefined) values[`${project.name}:${key}`] = encode(declared.default);
  }
  for (const pair of overrides) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new RehearsalInputError(`--config ${pair} is not key=value, e.g. --config keySize=3072`);
    const key = pair.slice(0, eq);
    const declared = project.config[key];
    if (!declared)
      throw new RehearsalInputError(
        `--config ${key} is not a setting of this project; Pulumi.yaml declares ${Object.keys(project.config).join(", ")}`,
      );
    values[`${project.name}:${key}`] = typed(key, pair.slice(eq + 1), declared);
  }
  return values;
}

function typed(key: string, raw: string, declared: Declared): string {
  if (declared.type === "integer" && !/^-?\d+$/.test(raw))
    throw new RehearsalInputError(`--config ${key}=${raw}: ${key} is an integer`);
  if (declared.type === "boolean" && raw !== "true" && raw !== "false")
    throw new RehearsalInputError(`--config ${key}=${raw}: ${key} is true or false`);
  if (declared.type === "array") {
    // Accept JSON (["a","b"]) or a comma-separated list (a,b).
    if (raw.trim().startsWith("[")) {
      try {
        return JSON.stringify(JSON.parse(raw));
      } catch {
        throw new RehearsalInputError(`--config ${key}=${raw}: not a JSON list`);
      }
    }
    return JSON.stringify(
      raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
  return raw;
}

const encode = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
