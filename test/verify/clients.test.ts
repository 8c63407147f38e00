import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { worstExitCode } from "../../verify/clients";
import { verifyCommand } from "../../verify/command";
import { parseOptions } from "../../verify/options";
import { inProcess, keyRunIn, stopAndRemove } from "../support/cli";
import { type RegisteredClient, registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";

/** verify on the outputs of a stack of many clients (`clients`), against the local Entra ID with msal-node. */
describe("verify with a clients map", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let orders: RegisteredClient;
  let audit: RegisteredClient;
  beforeAll(async () => {
    entra = await startEntra();
    [orders, audit] = await Promise.all([
      registerClient(entra, { roles: ["Orders.Read", "Orders.Write"], grant: ["Orders.Write"] }),
      registerClient(entra, { roles: ["Audit.Read"], grant: ["Audit.Read"] }),
    ]);
  });
  afterAll(() => stopAndRemove(entra));

  const verify = (args: string[], stdin: unknown) =>
    inProcess((io) => runCommand(verifyCommand, ["--outputs", "-", "--ca-file", entra.caPath, ...args], io), {
      stdin: JSON.stringify(stdin),
    });
  const many = () => ({
    clients: {
      orders: stackOutputsFor(entra, orders, ["Orders.Write"]),
      audit: stackOutputsFor(entra, audit, ["Audit.Read"]),
    },
  });

  it("verifies one client picked by --client, with that client's roles", async () => {
    const printed = await verify(["--client", "audit", "--json"], many());
    expect(printed.code).toBe(0);
    const report = JSON.parse(printed.stdout);
    expect(report.inputs).toMatchObject({ clientId: audit.clientId, expectedRoles: ["Audit.Read"] });
    expect(report.checks.find((c: { name: string }) => c.name === "roles")?.ok).toBe(true);
  });

  it("verifies every client concurrently with --all-clients, one JSON report listing each verdict", async () => {
    const printed = await verify(["--all-clients", "--json"], many());
    expect(printed.code).toBe(0);
    const report = JSON.parse(printed.stdout);
    expect(report).toMatchObject({ schema: "entra-cert-auth/verify-clients@1", verdict: "verified", exitCode: 0 });
    expect(Object.keys(report.clients).sort()).toEqual(["audit", "orders"]);
    expect(report.clients.orders).toMatchObject({ verdict: "verified", inputs: { clientId: orders.clientId } });
    expect(report.clients.audit).toMatchObject({ verdict: "verified", inputs: { clientId: audit.clientId } });
    for (const c of [orders, audit]) expect(keyRunIn(printed.stdout, c.cert.privateKeyPem)).toBeUndefined();
  });

  it("exits with the worst client's code, and the human report lists each client's verdict", async () => {
    const outputs = many();
    outputs.clients.audit = { ...outputs.clients.audit, scope: "api://nope/.default" };
    const printed = await verify(["--all-clients"], outputs);
    expect(printed.code).toBe(4);
    const lines = printed.stderr.trim().split("\n");
    expect(lines.at(-1)).toBe("FAILED (exit 4): 1 of 2 clients failed");
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}orders {2}verified: a certificate-authenticated token/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}audit {3}FAILED \(ERR_AUTHENTICATION, exit 4\)/));
    expect(printed.stderr).toContain("== client orders");
    for (const c of [orders, audit]) expect(keyRunIn(printed.stderr, c.cert.privateKeyPem)).toBeUndefined();
  });

  it("asks for a choice when the outputs hold many clients, and names the clients an unknown --client may pick", async () => {
    const none = await verify([], many());
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "the outputs hold many clients (orders, audit): choose one with --client <name>, or verify them all with --all-clients",
    );
    const unknown = await verify(["--client", "billing"], many());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      "--client billing: the outputs' clients has no such client; it holds orders, audit",
    );
    const single = await verify(["--all-clients"], stackOutputsFor(entra, orders));
    expect(single.code).toBe(2);
    expect(single.stderr).toContain("the outputs hold no `clients` map");
    const redacted = await verify(["--client", "orders"], { clients: "[secret]" });
    expect(redacted.stderr).toContain("--show-secrets");
  });

  it("refuses --client with --all-clients, without a stack's outputs, or with no name, never echoing the value", () => {
    expect(() => parseOptions(["--outputs", "x", "--client", "a", "--all-clients"])).toThrow(/both given/);
    expect(() => parseOptions(["--client", "a"])).toThrow(/give --outputs or --stack/);
    expect(() => parseOptions(["--outputs", "x", "--client=s3cr3t/pa55word!"])).toThrow(
      /^--client takes a client's name: letters, digits and dashes, a letter first$/,
    );
  });

  it("ranks an unexpected error worst, then the highest failure code", () => {
    expect(worstExitCode([0, 0])).toBe(0);
    expect(worstExitCode([0, 4, 2])).toBe(4);
    expect(worstExitCode([6, 1, 0])).toBe(1);
  });
});
