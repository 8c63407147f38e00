import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { verifyCommand } from "../../verify/command";
import { inProcess, keyRunIn, stopAndRemove } from "../support/cli";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputNames, stackOutputsFor } from "../support/outputs";
import { expectHolds } from "../support/secrets";

/** Every output the program exports, except privateKeyPem itself. */
const fields = stackOutputNames.filter((name) => name !== "privateKeyPem");

describe("verify never prints the private key, whichever output it is pasted into", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
  });
  afterAll(() => stopAndRemove(entra));

  const key = () => client.cert.privateKeyPem;
  // The key as pasted (PEM), and as a single line of base64 as a careless copy might hold it.
  const forms = () => ({
    pem: key(),
    line: key()
      .split("\n")
      .filter((l) => !l.startsWith("-----"))
      .join(""),
  });

  async function run(outputs: Record<string, unknown>, json: boolean) {
    const args = ["--outputs", "-", "--ca-file", entra.caPath, "--timeout", "3", ...(json ? ["--json"] : [])];
    return inProcess((io) => runCommand(verifyCommand, args, io), { stdin: JSON.stringify(outputs) });
  }

  for (const field of fields) {
    for (const json of [false, true]) {
      it(`${field} holding the key: nothing of it on stdout, stderr or the step summary (${json ? "--json" : "human"})`, async () => {
        for (const [form, value] of Object.entries(forms())) {
          const outputs = { ...stackOutputsFor(entra, client, ["Data.Read"]), [field]: value };
          const printed = await run(outputs, json);
          for (const channel of ["stdout", "stderr", "summary"] as const)
            expect(keyRunIn(printed[channel], key()), `${form} form, ${channel}`).toBeUndefined();
          if (json) expect(() => JSON.parse(printed.stdout)).not.toThrow();
          expectHolds(printed.stderr + printed.stdout, "PRIVATE KEY", "the output holds a PEM key", false);
        }
      });
    }
  }

  it("expectedRoles holding the key as a list item is refused without quoting it", async () => {
    const outputs = { ...stackOutputsFor(entra, client, ["Data.Read"]), expectedRoles: [key()] };
    const printed = await run(outputs, true);
    expect(printed.code).toBe(2);
    expect(JSON.parse(printed.stdout).error.message).toBe(
      "output expectedRoles must be a list of app role values (at most 120 characters each, no spaces)",
    );
    expect(keyRunIn(printed.stdout + printed.stderr + printed.summary, key())).toBeUndefined();
  });

  it("names the field and what is wrong, never the value, when an identifier holds something else", async () => {
    const base = stackOutputsFor(entra, client, ["Data.Read"]);
    const cases: [string, string][] = [
      ["tenantId", "output tenantId is not a tenant id (a GUID)"],
      ["clientId", "output clientId is not a client id (a GUID)"],
      ["apiClientId", "apiClientId is not a client id (a GUID)"],
      ["authority", "output authority is not an https URL (<authority host>/<tenant id>)"],
      [
        "scope",
        "scope must be <api>/.default (e.g. api://my-api/.default): the client-credentials flow asks for all of an API's granted roles",
      ],
      ["thumbprint", "output thumbprint is not a 40-hex-digit thumbprint"],
      ["thumbprintSha256", "output thumbprintSha256 is not a 64-hex-digit thumbprint"],
      ["certificatePem", "certificatePem is not a PEM certificate"],
    ];
    for (const [field, message] of cases) {
      const printed = await run({ ...base, [field]: "not-the-right-thing value" }, true);
      expect(JSON.parse(printed.stdout).error.message, field).toBe(message);
    }
  });

  it("still verifies when the key sits in outputs verify does not read, and prints none of it", async () => {
    const outputs = { ...stackOutputsFor(entra, client, ["Data.Read"]), keyId: key(), certificateNotAfter: key() };
    const printed = await run(outputs, false);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^verified: /m);
    expect(printed.summary).toContain("verified ✅");
  });
});
