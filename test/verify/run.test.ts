import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../common/cli";
import { requestToken } from "../../verify/acquire";
import { verifyCommand } from "../../verify/command";
import { exitCodes } from "../../verify/errors";
import { fromStackOutputs } from "../../verify/inputs";
import { parseOptions } from "../../verify/options";
import { preflight } from "../../verify/preflight";
import { humanReport, jsonReport, markdownReport } from "../../verify/report";
import { runVerify, type VerifyIO } from "../../verify/run";
import { fetchJwks } from "../../verify/tokenChecks";
import { makeCertificate } from "../support/certificates";
import { inProcess, stopAndRemove } from "../support/cli";
import { skippingClock } from "../support/clock";
import { registerClient, startEntra } from "../support/entra";
import { stackOutputsFor } from "../support/outputs";
import { expectHolds, expectNoSecrets } from "../support/secrets";

const fast = { baseMs: 50, capMs: 400 };

describe("verify against the local Entra ID", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  const progress: string[] = [];
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(() => stopAndRemove(entra));

  async function verify(outputs: Record<string, unknown>, flags: string[] = [], clock = skippingClock()) {
    const io: VerifyIO = {
      env: {},
      readStdin: async () => JSON.stringify(outputs),
      progress: (l) => progress.push(l),
      backoff: fast,
      clock,
    };
    return runVerify(parseOptions(["--outputs", "-", "--ca-file", entra.caPath, ...flags]), io);
  }

  it("verifies a v2.0 token with its roles", async () => {
    const client = await registerClient(entra, { version: 2, grant: ["Data.Read"] });
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read"]));
    expect(report.error).toBeUndefined();
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ["signature", true],
      ["issuer (v2.0)", true],
      ["tenant (tid)", true],
      ["audience", true],
      ["client (azp)", true],
      ["credential (azpacr)", true],
      ["expiry", true],
      ["roles", true],
    ]);
  });

  it("counts --timeout from the first attempt: reading the inputs (a slow PFX) never leaves the deadline spent", async () => {
    const client = await registerClient(entra, { version: 2, grant: ["Data.Read"] });
    const base = skippingClock();
    // The run's first reading of the clock is its start; by the next one its inputs have taken 100 s to read.
    let readings = 0;
    const slowInputs = { ...base, now: () => base.now() + (readings++ > 0 ? 100_000 : 0) };
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read"]), ["--timeout", "60"], slowInputs);
    expect(report.error).toBeUndefined();
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.attempts.length).toBeGreaterThanOrEqual(1);
  });

  it("verifies a v1.0 token, whose audience is the identifier URI", async () => {
    const client = await registerClient(entra, { version: 1, grant: ["Data.Read", "Data.Write"] });
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read", "Data.Write"]), ["--thumbprint", "sha1"]);
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.checks.find((c) => c.name === "issuer (v1.0)")?.detail).toBe(
      `https://sts.windows.net/${entra.tenantId}/`,
    );
    expect(report.checks.find((c) => c.name === "client (appid)")?.ok).toBe(true);
  });

  it("scrubs the inputs of the report too: a 64-character key line passes as a role value but is never printed", async () => {
    const client = await registerClient(entra, { grant: ["Data.Read"] });
    const keyLine = client.cert.privateKeyPem.split("\n")[2] ?? "";
    expect(keyLine).toHaveLength(64);
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read", keyLine]), ["--timeout", "3"]);
    expect(report.exitCode).toBe(exitCodes.tokenCheck);
    expect(report.inputs?.expectedRoles).toEqual(["Data.Read", "[redacted]"]);
    const printed = [jsonReport(report), humanReport(report), markdownReport(report)].join("\n");
    expectHolds(printed, keyLine, "the output holds a line of the key", false);
  });

  it("fails the token check, after waiting to the deadline, when a role is never granted", async () => {
    const client = await registerClient(entra, { grant: ["Data.Read"] });
    const clock = skippingClock();
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read", "Data.Write"]), ["--timeout", "5"], clock);
    expect(report.exitCode).toBe(exitCodes.tokenCheck);
    // Polled about once a second until the 5 s deadline, without waiting for real.
    expect(report.attempts.length).toBeGreaterThanOrEqual(4);
    expect(report.attempts.length).toBeLessThanOrEqual(6);
    expect(clock.slept.every((ms) => ms >= 750 && ms <= 1250)).toBe(true);
    expect(report.checks.find((c) => c.name === "roles")).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^missing Data.Write \(has Data.Read\)/),
    });
    expect(report.attempts[0]?.reason).toBe("token has no role Data.Write yet");
  });

  it("waits for a role that is granted while it waits", async () => {
    const client = await registerClient(entra, { grant: ["Data.Read"] });
    const api = entra.admin.state.applications.find((a) => a.appId === client.apiClientId);
    const apiSp = entra.admin.state.servicePrincipals.find((s) => s.appId === client.apiClientId);
    const role = api?.appRoles.find((r) => r.value === "Data.Write");
    if (!apiSp || !role) throw new Error("the test API is not registered as expected");
    const clock = skippingClock();
    // Granted during the second wait, as an admin would while a pipeline waits.
    const grantOnSecondWait = (ms: number) => {
      if (clock.slept.length === 1)
        entra.admin.assignAppRole({ principalId: client.servicePrincipalId, resourceId: apiSp.id, appRoleId: role.id });
      return clock.sleep(ms);
    };
    const report = await verify(stackOutputsFor(entra, client, ["Data.Read", "Data.Write"]), ["--timeout", "20"], {
      ...clock,
      sleep: grantOnSecondWait,
    });
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "token"]);
  });

  it("fails fast on a tenant that does not exist (AADSTS90002)", async () => {
    const client = await registerClient(entra);
    const outputs: Record<string, unknown> = {
      ...stackOutputsFor(entra, client),
      tenantId: randomUUID(),
      authority: undefined,
    };
    const report = await verify(outputs, ["--authority-host", entra.authorityHost]);
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.error?.message).toBe(
      "AADSTS90002: the tenant does not exist at this authority; check tenantId and the authority host (cloud)",
    );
  });

  it("fails fast, with the code, its meaning and the fix, on an error that will not go away", async () => {
    const client = await registerClient(entra);
    const started = Date.now();
    const report = await verify({ ...stackOutputsFor(entra, client), scope: "api://no-such-api/.default" });
    expect(report.exitCode).toBe(exitCodes.authentication);
    expect(report.attempts).toHaveLength(1);
    expect(report.error?.message).toBe(
      "AADSTS500011: the API (resource) is not in the tenant; check the scope; the API needs a service principal in this tenant",
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("retries 429 and 503, honouring Retry-After", async () => {
    const client = await registerClient(entra);
    entra.faults.inject({ kind: "throttle", retryAfterSeconds: 7 });
    entra.faults.inject({ kind: "unavailable", retryAfterSeconds: 1 });
    const clock = skippingClock(() => 0);
    const report = await verify(stackOutputsFor(entra, client), [], clock);
    expect(report.exitCode).toBe(exitCodes.verified);
    expect(report.attempts.map((a) => a.reason)).toEqual([
      "service answered HTTP 429",
      "service answered HTTP 503",
      "token issued",
    ]);
    // Retry-After over the backoff each time: 7 s asked by the 429, 1 s by the 503.
    expect(clock.slept).toEqual([7000, 1000]);
  });

  it("backs off on a refused connection and gives up at the deadline with exit 6, naming the last cause", async () => {
    const client = await registerClient(entra);
    const clock = skippingClock(() => 0);
    const report = await verify(
      { ...stackOutputsFor(entra, client), authority: undefined },
      ["--authority-host", "https://127.0.0.1:9", "--timeout", "10"],
      clock,
    );
    expect(report.exitCode).toBe(exitCodes.timeout);
    expect(report.error?.message).toMatch(
      /^gave up at the deadline after \d+ attempt\(s\); last: network error \(.+\); raise --timeout or look at the cause$/,
    );
    // Exponential (fast backoff: base 50 ms, cap 400 ms, equal jitter at 0).
    expect(clock.slept.slice(0, 4)).toEqual([25, 50, 100, 200]);
  });

  it("finds the authority's signing keys through discovery, or at the address msal-node's discovery gave", async () => {
    const client = await registerClient(entra);
    const inputs = fromStackOutputs(stackOutputsFor(entra, client), parseOptions([]));
    inputs.caPem = entra.caPem;
    const viaDiscovery = await fetchJwks(inputs);
    expect(viaDiscovery.keys.length).toBeGreaterThan(0);
    const direct = await fetchJwks(inputs, `${entra.authorityHost}/${entra.tenantId}/discovery/v2.0/keys`);
    expect(direct).toEqual(viaDiscovery);
    await expect(fetchJwks(inputs, `${entra.authorityHost}/${entra.tenantId}/no-such-keys`)).rejects.toThrow(
      /^JWKS answered HTTP 404$/,
    );
  });

  it("answers a single token request for probes, without retrying", async () => {
    const client = await registerClient(entra);
    const inputs = fromStackOutputs(stackOutputsFor(entra, client), parseOptions([]));
    inputs.caPem = entra.caPem;
    const pre = preflight(inputs, 30);
    expect(await requestToken(inputs, pre, "sha1", 10_000)).toMatchObject({ transient: false, reason: "token issued" });
    const refused = await requestToken({ ...inputs, scope: "api://no-such-api/.default" }, pre, "sha256", 10_000);
    expect(refused).toMatchObject({ transient: false, aadsts: 500011 });
  });

  it("gives up at the deadline when the service hangs", async () => {
    const client = await registerClient(entra);
    entra.faults.inject({ kind: "hang" }, 20);
    const started = Date.now();
    // A hung request is bounded by a real timer, so the deadline here is short: what it waits is real time.
    const report = await verify(stackOutputsFor(entra, client), ["--timeout", "0.5"]);
    entra.faults.clear();
    expect(report.exitCode).toBe(exitCodes.timeout);
    expect(report.error?.code).toBe("ERR_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(500 + 3000);
  });

  it("notices a credential within 1.5 s of it becoming usable, polling at most once a second", async () => {
    // The local Entra ID and verify share a clock that skips waits: a 10 s propagation delay passes in a moment.
    const clock = skippingClock(Math.random);
    const delayed = await startEntra({ propagationDelaySeconds: 10, now: clock.date });
    try {
      const before = clock.now();
      const client = await registerClient(delayed, { grant: ["Data.Read"] });
      progress.length = 0;
      const io: VerifyIO = {
        env: {},
        readStdin: async () => JSON.stringify(stackOutputsFor(delayed, client, ["Data.Read"])),
        progress: (l) => progress.push(l),
        clock,
      };
      const report = await runVerify(parseOptions(["--outputs", "-", "--ca-file", delayed.caPath]), io);
      const greenAt = clock.now();
      expect(report.exitCode).toBe(exitCodes.verified);
      // Usable no earlier than 10 s after `before`; green at most 1.5 s after that.
      expect(greenAt - (before + 10_000)).toBeLessThanOrEqual(1500);
      // Each request starts at least a second after the previous one started.
      for (const a of report.attempts.slice(0, -1)) expect(a.ms + (a.waitMs ?? 0)).toBeGreaterThanOrEqual(1000);
      expect(report.attempts.length).toBeGreaterThanOrEqual(9);
      expect(report.attempts.length).toBeLessThanOrEqual(12);
      expect(progress[0]).toMatch(
        /^the application is not \(yet\) in the tenant \(AADSTS700016\), attempt 1, retrying in (\d+ ms|\d\.\d s)$/,
      );
    } finally {
      await stopAndRemove(delayed);
    }
  });

  describe("a bad environment fails fast and says how to fix it", () => {
    const run = (outputs: Record<string, unknown>, flags: string[]) =>
      runVerify(parseOptions(["--outputs", "-", "--timeout", "60", ...flags]), {
        env: {},
        readStdin: async () => JSON.stringify(outputs),
        progress: () => undefined,
      });

    it("treats an authority certificate nobody vouched for (no --ca-file) as terminal: exit 4 in seconds", async () => {
      const client = await registerClient(entra);
      const started = Date.now();
      const report = await run(stackOutputsFor(entra, client), []);
      expect(report.exitCode).toBe(exitCodes.authentication);
      expect(report.error?.message).toMatch(
        /^the authority's TLS certificate is not trusted \([A-Z_]+\): pass the CA that issued it with --ca-file <pem>/,
      );
      expect(report.attempts).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it("treats a --ca-file that did not issue the authority's certificate the same way", async () => {
      const client = await registerClient(entra);
      const dir = mkdtempSync(join(tmpdir(), "eca-verify-ca-"));
      try {
        const wrongCa = join(dir, "other-ca.pem");
        writeFileSync(wrongCa, client.cert.certificatePem);
        const report = await run(stackOutputsFor(entra, client), ["--ca-file", wrongCa]);
        expect(report.exitCode).toBe(exitCodes.authentication);
        expect(report.error?.message).toMatch(/TLS certificate is not trusted/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("refuses outputs larger than 1 MiB, from a file such as /dev/zero or from stdin, without reading on", async () => {
      const fromFile = await runVerify(parseOptions(["--outputs", "/dev/zero"]), {
        env: {},
        readStdin: async () => "",
        progress: () => undefined,
      });
      expect(fromFile.exitCode).toBe(exitCodes.badInput);
      expect(fromFile.error?.message).toBe(
        "--outputs /dev/zero is larger than 1 MiB: stack outputs are a few KiB; check that this is the right file",
      );
      const printed = await inProcess((io) => runCommand(verifyCommand, ["--outputs", "-", "--json"], io), {
        stdin: "x".repeat(1024 * 1024 + 1),
      });
      expect(printed.code).toBe(exitCodes.badInput);
      expect(JSON.parse(printed.stdout).error.message).toBe(
        "--outputs - (stdin) is larger than 1 MiB: stack outputs are a few KiB; check that this is the right file",
      );
    });
  });

  describe("before any network call", () => {
    const closed = ["--authority-host", "https://127.0.0.1:9"];
    // Should preflight wrongly pass, verify goes on to the closed port: a short deadline on a clock that skips its
    // waits ends that retrying at once, so the test fails on its own assertions (an attempt was made, the wrong
    // exit code), not on vitest's timeout.
    async function preflightOf(outputs: Record<string, unknown>) {
      const report = await runVerify(parseOptions(["--outputs", "-", ...closed, "--timeout", "1"]), {
        env: {},
        readStdin: async () => JSON.stringify(outputs),
        progress: () => undefined,
        backoff: fast,
        clock: skippingClock(),
      });
      expect(report.attempts, "verify made a network attempt").toEqual([]);
      return report;
    }
    const base = async () => {
      const cert = await makeCertificate();
      return {
        ...stackOutputsFor(entra, {
          clientId: randomUUID(),
          appObjectId: "",
          servicePrincipalId: "",
          apiClientId: randomUUID(),
          scope: "api://x/.default",
          cert,
        }),
        authority: undefined,
      };
    };

    it("rejects a private key that does not match the certificate", async () => {
      const other = await makeCertificate();
      const report = await preflightOf({ ...(await base()), privateKeyPem: other.privateKeyPem });
      expect(report.exitCode).toBe(exitCodes.preflight);
      expect(report.error?.message).toBe(
        "key matches certificate: privateKeyPem does not belong to certificatePem: use the key that was issued with this certificate",
      );
      expectNoSecrets(JSON.stringify(report), [other.privateKeyPem]);
    });

    it("rejects an expired certificate", async () => {
      const old = await makeCertificate({ notBefore: new Date("2024-01-01"), notAfter: new Date("2025-01-01") });
      const report = await preflightOf({
        ...(await base()),
        certificatePem: old.certificatePem,
        privateKeyPem: old.privateKeyPem,
        thumbprint: undefined,
        thumbprintSha256: undefined,
      });
      expect(report.exitCode).toBe(exitCodes.preflight);
      expect(report.error?.message).toMatch(/^certificate validity: expired on 2025-01-01T00:00:00.000Z/);
    });

    it("rejects a certificate that is not valid yet", async () => {
      const future = await makeCertificate({
        notBefore: new Date(Date.now() + 86_400_000),
        notAfter: new Date(Date.now() + 2 * 86_400_000),
      });
      const report = await preflightOf({
        ...(await base()),
        certificatePem: future.certificatePem,
        privateKeyPem: future.privateKeyPem,
        thumbprint: undefined,
        thumbprintSha256: undefined,
      });
      expect(report.error?.message).toMatch(/^certificate validity: not valid until/);
    });

    it("warns when the certificate expires within --warn-days", async () => {
      const soon = await makeCertificate({ notAfter: new Date(Date.now() + 5 * 86_400_000) });
      const report = await runVerify(
        parseOptions(["--outputs", "-", ...closed, "--warn-days", "10", "--timeout", "0.2"]),
        {
          env: {},
          readStdin: async () =>
            JSON.stringify({
              ...(await base()),
              certificatePem: soon.certificatePem,
              privateKeyPem: soon.privateKeyPem,
              thumbprint: undefined,
              thumbprintSha256: undefined,
            }),
          progress: () => undefined,
        },
      );
      expect(report.warnings[0]).toMatch(/^the certificate expires in 4 days/);
    });

    it("rejects a declared thumbprint that is not the certificate's", async () => {
      const report = await preflightOf({ ...(await base()), thumbprint: "AB".repeat(20) });
      expect(report.exitCode).toBe(exitCodes.preflight);
      expect(report.error?.message).toMatch(/^thumbprint \(SHA-1\): declared ABAB/);
    });

    it("rejects a key that is not RSA", async () => {
      const ec = await makeCertificate({ keyType: "ec" });
      const report = await preflightOf({
        ...(await base()),
        certificatePem: ec.certificatePem,
        privateKeyPem: ec.privateKeyPem,
        thumbprint: undefined,
        thumbprintSha256: undefined,
      });
      expect(report.error?.message).toMatch(/^key type: the key is ec: Entra ID accepts only RSA/);
    });

    it.each<[string, (o: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
      ["a missing clientId", (o) => ({ ...o, clientId: undefined }), /^output clientId is missing/],
      [
        "a redacted private key",
        (o) => ({ ...o, privateKeyPem: "[secret]" }),
        /^output privateKeyPem is redacted \("\[secret\]"\): run `pulumi stack output --json --show-secrets`$/,
      ],
      [
        "a tenant id that is not a GUID",
        (o) => ({ ...o, tenantId: "contoso.onmicrosoft.com" }),
        /^output tenantId is not a tenant id \(a GUID\)$/,
      ],
      ["a scope without /.default", (o) => ({ ...o, scope: "api://x/Data.Read" }), /^scope must be <api>\/.default/],
      [
        "expected roles that are not a list",
        (o) => ({ ...o, expectedRoles: "Data.Read" }),
        /^output expectedRoles must be a list/,
      ],
      [
        "a certificate that is not PEM",
        (o) => ({ ...o, certificatePem: "hello" }),
        /^certificatePem is not a PEM certificate$/,
      ],
    ])("rejects %s as bad input", async (_what, change, message) => {
      const report = await preflightOf(change(await base()));
      expect(report.exitCode).toBe(exitCodes.badInput);
      expect(report.error?.message).toMatch(message);
    });
  });
});
