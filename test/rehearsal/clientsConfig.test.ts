import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackConfig } from "../../rehearsal/config";
import { root } from "../support/processes";
import { fileTempDir } from "../support/tempFolders";

const temp = fileTempDir("eca-clients-config-");

describe("the rehearsal's stack config with a clients map", () => {
  it("passes a YAML map from a stack file on as JSON, and --config with a path edits one client inside it", () => {
    const file = join(temp, "Pulumi.platform.yaml");
    writeFileSync(
      file,
      "config:\n  entra-cert-auth:clients:\n    orders:\n      roles: [Orders.Read]\n    audit:\n      keySize: 3072\n",
    );
    const config = stackConfig(root, {
      stackFile: file,
      overrides: ["clients.orders.roles[1]=Orders.Write", "clients.audit.rotation=2", "clients.billing.roles[0]=X"],
    });
    expect(JSON.parse(config.config["entra-cert-auth:clients"] ?? "")).toEqual({
      orders: { roles: ["Orders.Read", "Orders.Write"] },
      audit: { keySize: 3072, rotation: 2 },
      billing: { roles: ["X"] },
    });
    expect(config.undeclared).toEqual([]);
  });

  it("gives the program an empty map when clients is unset, which it reads as no clients", () => {
    const config = stackConfig(root, { overrides: [] });
    expect(config.config["entra-cert-auth:clients"]).toBe("{}");
  });
});
