import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackConfig, stackNameOf, validateConfigValue } from "../../rehearsal/config";
import { RehearsalInputError } from "../../rehearsal/errors";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";

const temp = fileTempDir("eca-config-");

const stackFile = (name: string, text: string) => {
  const path = join(temp, name);
  writeFileSync(path, text);
  return path;
};
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(RehearsalInputError);
    return (err as RehearsalInputError).message;
  }
  throw new Error("expected a refusal");
};
const k = (key: string) => `entra-cert-auth:${key}`;

describe("stack config as the Pulumi CLI builds it", () => {
  it("fills every Pulumi.yaml default: primitives as text, lists as JSON", () => {
    const { config, secretKeys } = stackConfig(root, { overrides: [] });
    expect(config[k("keySize")]).toBe("2048");
    expect(config[k("apiRoles")]).toBe('["Data.Read"]');
    expect(config[k("roles")]).toBe("[]");
    expect(config[k("rotation")]).toBe("1");
    expect(secretKeys).toEqual([]);
  });

  it("--config key=value is `pulumi config set key value`: the value is a string, whatever it looks like", () => {
    const { config } = stackConfig(root, { overrides: ["keySize=3072", "rotation=2", "displayName=[x]"] });
    expect(config[k("keySize")]).toBe("3072");
    expect(config[k("displayName")]).toBe("[x]");
  });

  it("refuses a JSON string for a list with the CLI's own message", () => {
    expect(refusal(() => stackConfig(root, { overrides: ['roles=["Data.Read"]'] }))).toBe(
      "Stack 'rehearsal' with configuration key 'roles' must be of type 'array<string>'",
    );
  });

  it("--config 'roles[0]=Data.Read' is `--path`: a list, and index == length appends", () => {
    const { config } = stackConfig(root, { overrides: ["roles[0]=Data.Read", "roles[1]=Data.Write"] });
    expect(config[k("roles")]).toBe('["Data.Read","Data.Write"]');
  });

  it.each([
    ["roles[1]=Data.Read", "--config roles[1]: array index out of range"],
    ["roles[0]=7", "Stack 'rehearsal' with configuration key 'roles' must be of type 'array<string>'"],
    ["keySize=big", "Stack 'rehearsal' with configuration key 'keySize' must be of type 'integer'"],
    ["keySize=3072.0", "Stack 'rehearsal' with configuration key 'keySize' must be of type 'integer'"],
  ])("refuses %s: %s", (pair, message) => {
    expect(refusal(() => stackConfig(root, { overrides: [pair] }))).toBe(message);
  });

  it("passes an undeclared key on, as the current CLI does, and names it so that a typo shows", () => {
    const { config, undeclared } = stackConfig(root, { overrides: ["colour=blue", "azuread:tenantId=t"] });
    expect(config[k("colour")]).toBe("blue");
    expect(config["azuread:tenantId"]).toBe("t");
    expect(undeclared).toEqual(["colour"]);
  });

  it("refuses an argument that is not key=value without echoing it", () => {
    expect(refusal(() => stackConfig(root, { overrides: ["-----BEGIN PRIVATE KEY-----abc"] }))).toBe(
      "--config (argument) is not key=value, e.g. --config keySize=3072",
    );
  });
});

describe("a stack file (--stack-config Pulumi.<stack>.yaml)", () => {
  it("takes its stack name from the file name", () => {
    expect(stackNameOf("/x/Pulumi.dev.yaml")).toBe("dev");
    expect(stackNameOf("/x/my-config.yaml")).toBe("rehearsal");
    expect(stackNameOf(undefined)).toBe("rehearsal");
  });

  it("accepts a YAML list and scalars, namespaced by the project", () => {
    const file = stackFile(
      "Pulumi.dev.yaml",
      "config:\n  entra-cert-auth:roles:\n    - Data.Read\n  entra-cert-auth:keySize: 3072\n  entra-cert-auth:displayName: billing\n",
    );
    const { config, stack } = stackConfig(root, { stackFile: file, overrides: [] });
    expect(stack).toBe("dev");
    expect(config[k("roles")]).toBe('["Data.Read"]');
    expect(config[k("keySize")]).toBe("3072");
    expect(config[k("displayName")]).toBe("billing");
  });

  it("refuses roles as a JSON string with the CLI's type message", () => {
    const file = stackFile("Pulumi.json.yaml", "config:\n  entra-cert-auth:roles: '[\"Data.Read\"]'\n");
    expect(refusal(() => stackConfig(root, { stackFile: file, overrides: [] }))).toBe(
      "Stack 'json' with configuration key 'roles' must be of type 'array<string>'",
    );
  });

  it("refuses a secure value, saying why, without quoting the ciphertext", () => {
    const file = stackFile(
      "Pulumi.secure.yaml",
      "config:\n  entra-cert-auth:privateKeyPem:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n",
    );
    const message = refusal(() => stackConfig(root, { stackFile: file, overrides: [] }));
    expect(message).toContain("privateKeyPem is a secure (encrypted) value, and the rehearsal has no secrets provider");
    expect(message).not.toContain("c2VjcmV0");
  });

  it("lets --config override the file, in order", () => {
    const file = stackFile("Pulumi.order.yaml", "config:\n  entra-cert-auth:rotation: a\n");
    expect(stackConfig(root, { stackFile: file, overrides: ["rotation=b"] }).config[k("rotation")]).toBe("b");
  });

  it("refuses a file that cannot be read, naming it", () => {
    expect(refusal(() => stackConfig(root, { stackFile: join(temp, "missing.yaml"), overrides: [] }))).toMatch(
      /^--stack-config .*missing.yaml: cannot read it \(ENOENT/,
    );
  });
});

describe("odd stack files and keys", () => {
  it("refuses a value that refers to itself through a YAML alias, naming the key", () => {
    const file = stackFile("Pulumi.cycle.yaml", "a: &a [*a]\nconfig:\n  entra-cert-auth:roles: *a\n");
    expect(refusal(() => stackConfig(root, { stackFile: file, overrides: [] }))).toMatch(
      /: the value of entra-cert-auth:roles refers to itself \(a YAML alias cycle\); write the value out$/,
    );
  });

  it("refuses a config block that is no mapping, such as !!binary", () => {
    const file = stackFile("Pulumi.binary.yaml", "config: !!binary AAAA\n");
    expect(refusal(() => stackConfig(root, { stackFile: file, overrides: [] }))).toMatch(
      /: 'config' must be a mapping$/,
    );
  });

  it("names __proto__ and constructor as undeclared keys, not as inherited ones", () => {
    const { undeclared } = stackConfig(root, { overrides: ["__proto__=1", "constructor=2"] });
    expect(undeclared).toEqual(expect.arrayContaining(["__proto__", "constructor"]));
  });
});

describe("special files as --stack-config", () => {
  it("refuses what is not a regular file (a device, a folder) at once, without reading it", () => {
    expect(refusal(() => stackConfig(root, { stackFile: "/dev/zero", overrides: [] }))).toBe(
      "--stack-config /dev/zero: not a regular file",
    );
    expect(refusal(() => stackConfig(root, { stackFile: temp, overrides: [] }))).toMatch(/: not a regular file$/);
  });

  it("refuses a file over 1 MiB as no stack file", () => {
    const big = stackFile("Pulumi.big.yaml", `config: {}\n#${"x".repeat(1 << 20)}\n`);
    expect(refusal(() => stackConfig(root, { stackFile: big, overrides: [] }))).toMatch(
      /: larger than 1048576 bytes; not a stack file$/,
    );
  });
});

describe("ValidateConfigValue's rules", () => {
  it.each([
    [{ type: "string" }, "x", true],
    [{ type: "string" }, 1, false],
    [{ type: "integer" }, "-12", true],
    [{ type: "integer" }, 3, true],
    [{ type: "integer" }, 3.5, false],
    [{ type: "boolean" }, "true", true],
    [{ type: "boolean" }, "yes", false],
    [{ type: "array", items: { type: "string" } }, ["a"], true],
    [{ type: "array", items: { type: "string" } }, '["a"]', false],
    [{ type: "array" }, ["a"], false],
    [{ type: "object" }, { a: 1 }, true],
  ])("%j accepts %j: %s", (type, value, ok) => {
    expect(validateConfigValue(type, value)).toBe(ok);
  });
});
