import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { parse } from "yaml";
import { ExtendedKeyUsage, issueCertificate, KeyUsageFlags } from "../../common/x509";
import { identifierPath } from "../../components/api";
import { toWholeSeconds } from "../../components/dates";
import { defaults, type Settings } from "../../components/defaults";
import { ConfigError } from "../../components/errors";
import { appRoleDefinitions, appRoleId, grantedRoles, uuidV5 } from "../../components/roles";
import { type KeysOf, readSettings } from "../../components/settings";
import { settingsProblems } from "../../components/validation";
import { makeCertificate } from "../support/certificates";
import { installEngine } from "../support/program";
import { expectHolds } from "../support/secrets";

const pulumiYaml = parse(readFileSync(new URL("../../Pulumi.yaml", `file://${__filename}`), "utf8")) as {
  config: Record<string, { type: string; default: unknown; description: string }>;
};
const settings = (over: Partial<Settings>): Settings => ({ ...defaults, ...over });
// Two RSA keys for the whole file: a certificate with its key, and another for mismatches and expiry.
const pair = Promise.all([makeCertificate(), makeCertificate()]);

describe("Pulumi.yaml and the program's defaults", () => {
  it("declare the same keys", () => {
    // `clients` is no setting of one app: a map of them (components/clientSettings.ts).
    const declared = Object.keys(pulumiYaml.config).filter((k) => k !== "clients");
    expect(declared.sort()).toEqual(Object.keys(defaults).sort());
  });

  it.each(Object.entries(defaults))("agree on the default, type and description of %s", (key, value) => {
    const declared = pulumiYaml.config[key];
    expect(declared?.default).toEqual(value);
    const type = Array.isArray(value) ? "array" : typeof value === "number" ? "integer" : typeof value;
    expect(declared?.type).toBe(type);
    expect(declared?.description.length).toBeGreaterThan(20);
  });

  it("document every Settings field with the sentence Pulumi.yaml declares", () => {
    const source = readFileSync(new URL("../../components/defaults.ts", `file://${__filename}`), "utf8");
    const settingsInterface = source.slice(source.indexOf("export interface Settings"), source.indexOf("\n}\n"));
    // One sentence per field, possibly wrapped over several comment lines.
    const documented = Object.fromEntries(
      [...settingsInterface.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])+)\*\/\n {2}(\w+):/g)].map((m) => [
        m[2],
        (m[1] ?? "").replace(/\n\s*\* ?/g, " ").trim(),
      ]),
    );
    expect(Object.keys(documented).sort()).toEqual(Object.keys(defaults).sort());
    for (const [key, sentence] of Object.entries(documented))
      expect(sentence, key).toBe(pulumiYaml.config[key]?.description);
  });

  it("are valid as they stand", () => {
    expect(settingsProblems(defaults)).toEqual([]);
  });
});

describe("settings validation", () => {
  it.each<[string, Partial<Settings>, RegExp]>([
    ["an empty display name", { displayName: "  " }, /^displayName is empty/],
    ["a non-RSA key", { keyAlgorithm: "ECDSA" }, /^keyAlgorithm is not supported: Entra ID accepts only RSA/],
    ["an odd key size", { keySize: 1024 }, /^keySize 1024 is not supported: use one of 2048, 3072, 4096/],
    [
      "validity no longer than the renewal window",
      { validityDays: 30, earlyRenewalDays: 30 },
      /^validityDays 30 must be longer than earlyRenewalDays 30/,
    ],
    ["a fractional validity", { validityDays: 1.5 }, /^validityDays 1.5 must be a whole number/],
    [
      "a role the API does not expose",
      { roles: ["Data.Read", "Data.Write"] },
      /^roles\[1\] is not one of apiRoles, the roles the companion API exposes: add it to apiRoles or remove it/,
    ],
    ["a role with a space", { apiRoles: ["Data Read"], roles: [] }, /^apiRoles\[0\] is not a valid app role value/],
    ["no API roles", { apiRoles: [] }, /^apiRoles is empty/],
    ["an API client id that is not a GUID", { apiClientId: "my-api" }, /^apiClientId is not a client id \(a GUID/],
    ["a token version other than 1 or 2", { accessTokenVersion: 3 }, /^accessTokenVersion 3 must be 1 or 2/],
    [
      "an http authority host",
      { authorityHost: "http://login.microsoftonline.com" },
      /^authorityHost must be an https origin without a path/,
    ],
    ["an owner that is not an object id", { owners: ["alice"] }, /^owners\[0\] is not an object id/],
    ["a key without a certificate", { privateKeyPem: "x" }, /^privateKeyPem is set without certificatePem/],
    ["a role value starting with a dot", { apiRoles: ["A", ".Data"], roles: ["A"] }, /^apiRoles\[1\] is not a valid/],
    ["a role value with a quote", { apiRoles: ['Data"Read'], roles: [] }, /^apiRoles\[0\] is not a valid/],
    ["an unknown sign-in audience", { signInAudience: "Everyone" }, /^signInAudience is not a known sign-in audience/],
    [
      "personal accounts with v1 tokens",
      { signInAudience: "PersonalMicrosoftAccount", accessTokenVersion: 1 },
      /^signInAudience PersonalMicrosoftAccount includes personal accounts, which need accessTokenVersion 2/,
    ],
    ["an identifier URI with a space", { apiIdentifierUri: "api://t/my api" }, /^apiIdentifierUri is not a valid/],
    ["an identifier URI that is not a URI", { apiIdentifierUri: "my-api" }, /^apiIdentifierUri is not a URI/],
    ["an http identifier URI", { apiIdentifierUri: "http://example.com/api" }, /is not a valid identifier URI/],
    ["an identifier URI with a query", { apiIdentifierUri: "api://x/y?z=1" }, /is not a valid identifier URI/],
  ])("rejects %s with a message that names the setting", (_what, over, message) => {
    const problems = settingsProblems(settings(over));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each<[string, Partial<Settings>, string]>([
    [
      "an unknown sign-in audience",
      { signInAudience: "Everyone" },
      "signInAudience is not a known sign-in audience: use one of AzureADMyOrg, AzureADMultipleOrgs, AzureADandPersonalMicrosoftAccount, PersonalMicrosoftAccount",
    ],
    [
      "work and personal accounts with v1 tokens",
      { signInAudience: "AzureADandPersonalMicrosoftAccount", accessTokenVersion: 1 },
      "signInAudience AzureADandPersonalMicrosoftAccount includes personal accounts, which need accessTokenVersion 2",
    ],
    [
      "an identifier URI that is not a URI",
      { apiIdentifierUri: "my-api" },
      "apiIdentifierUri is not a URI: use api://<tenantId>/<name>, api://<appId> or https://<verified domain>/<name>, no spaces",
    ],
    [
      "an identifier URI with a fragment",
      { apiIdentifierUri: "api://x/y#z" },
      "apiIdentifierUri is not a valid identifier URI: use api://<tenantId>/<name>, api://<appId> or https://<verified domain>/<name>, no spaces",
    ],
    ["a validity of 0 days", { validityDays: 0 }, "validityDays 0 must be a whole number of days, at least 1"],
    [
      "a negative renewal window",
      { earlyRenewalDays: -1 },
      "earlyRenewalDays -1 must be a whole number of days, 0 or more",
    ],
    [
      "a fractional renewal window",
      { earlyRenewalDays: 0.5 },
      "earlyRenewalDays 0.5 must be a whole number of days, 0 or more",
    ],
    [
      "two roles the API does not expose",
      { apiRoles: ["A", "B"], roles: ["C"] },
      "roles[0] is not one of apiRoles, the roles the companion API exposes: add it to apiRoles or remove it from roles",
    ],
    [
      "an authority host with text before https",
      { authorityHost: "xhttps://login.microsoftonline.com" },
      "authorityHost must be an https origin without a path, for example https://login.microsoftonline.com",
    ],
    [
      "an authority host with a path",
      { authorityHost: "https://login.microsoftonline.com/tenant" },
      "authorityHost https://login.microsoftonline.com/tenant must be an https origin without a path, for example https://login.microsoftonline.com",
    ],
    [
      "an API client id with text around a GUID",
      { apiClientId: "x0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dx", roles: ["Data.Read"] },
      "apiClientId is not a client id (a GUID such as 00000000-0000-0000-0000-000000000000): set the API's client id, or leave it empty to create a companion API",
    ],
    [
      "a certificate without its key",
      { certificatePem: "-----BEGIN CERTIFICATE-----" },
      "certificatePem is set without privateKeyPem: set the key with `pulumi config set --secret privateKeyPem < key.pem`",
    ],
    [
      "a certificate that is no PEM, with a key",
      { certificatePem: "nope", privateKeyPem: "nope" },
      "certificatePem is not a PEM certificate: set it with `pulumi config set certificatePem < cert.pem`",
    ],
  ])("rejects %s with exactly one line naming the setting and the fix", (_what, over, message) => {
    expect(settingsProblems(settings(over))).toEqual([message]);
  });

  it.each<[string, Partial<Settings>]>([
    [
      "a work-and-personal audience with v2 tokens",
      { signInAudience: "AzureADandPersonalMicrosoftAccount", accessTokenVersion: 2 },
    ],
    ["a personal audience with v2 tokens", { signInAudience: "PersonalMicrosoftAccount", accessTokenVersion: 2 }],
    ["an https identifier URI", { apiIdentifierUri: "https://contoso.example/api" }],
    ["an api:// identifier URI", { apiIdentifierUri: "api://contoso/api" }],
    ["a validity of 1 day", { validityDays: 1 }],
    ["an authority host with a trailing slash", { authorityHost: "https://login.microsoftonline.us/" }],
    [
      "owners that are object ids",
      { owners: ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"] },
    ],
    [
      "an existing API with roles it does not list here",
      { apiClientId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", apiRoles: [], roles: ["Any.Role"] },
    ],
    [
      "an existing API whose apiRoles would be refused",
      { apiClientId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", apiRoles: ["a b"], roles: ["R"] },
    ],
  ])("accepts %s", (_what, over) => {
    expect(settingsProblems(settings(over))).toEqual([]);
  });

  it.each([
    ["text before it", "x0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
    ["text after it", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dx"],
    ["a short first group", "0a1b2c3-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a first group past f", "zzzzzzzz-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a short second group", "0a1b2c3d-4e5-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a second group past f", "0a1b2c3d-zzzz-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a short third group", "0a1b2c3d-4e5f-4a6-8c7d-9e0f1a2b3c4d"],
    ["a third group past f", "0a1b2c3d-4e5f-zzzz-8c7d-9e0f1a2b3c4d"],
    ["a short fourth group", "0a1b2c3d-4e5f-4a6b-8c7-9e0f1a2b3c4d"],
    ["a fourth group past f", "0a1b2c3d-4e5f-4a6b-zzzz-9e0f1a2b3c4d"],
    ["a short last group", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4"],
    ["a last group past f", "0a1b2c3d-4e5f-4a6b-8c7d-zzzzzzzzzzzz"],
    ["groups of one digit", "0-4-4-8-9"],
  ])("refuses an owner with %s, naming only that owner", (_what, owner) => {
    expect(settingsProblems(settings({ owners: ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", owner] }))).toEqual([
      "owners[1] is not an object id: owners takes the object ids (GUIDs) of users or service principals",
    ]);
  });

  it("reports every problem at once, one line each", () => {
    const problems = settingsProblems(
      settings({ displayName: "", keySize: 1000, validityDays: 10, earlyRenewalDays: 20 }),
    );
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).not.toContain("\n");
  });

  it("rejects a brought key that does not match the brought certificate, without quoting either", async () => {
    const [first, second] = await pair;
    const [problem, ...rest] = settingsProblems(
      settings({ certificatePem: first.certificatePem, privateKeyPem: second.privateKeyPem }),
    );
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^privateKeyPem does not match certificatePem/);
    expectHolds(String(problem), "PRIVATE KEY", "the message quotes the key", false);
  });

  it("rejects a private key in certificatePem, a plain output, even beside a valid certificate", async () => {
    const [first] = await pair;
    const combined = `${first.certificatePem}\n${first.privateKeyPem}`;
    const problems = settingsProblems(settings({ certificatePem: combined, privateKeyPem: first.privateKeyPem }));
    expect(problems).toEqual([expect.stringMatching(/^certificatePem holds a private key: set only the certificate/)]);
  });

  it.each(["displayName", "certificateSubject", "rotation", "apiIdentifierUri"] as const)(
    "rejects a PEM block or a line break in %s, which becomes a name or an output",
    (key) => {
      for (const value of ["-----BEGIN PRIVATE KEY-----", "two\nlines"])
        expect(settingsProblems(settings({ [key]: value }))[0]).toMatch(new RegExp(`^${key} holds a PEM block`));
    },
  );

  it("quotes an authority host only when it is a safe https URL", () => {
    expect(settingsProblems(settings({ authorityHost: "https://login.example.com/tenant" }))).toEqual([
      expect.stringMatching(/^authorityHost https:\/\/login.example.com\/tenant must be an https origin/),
    ]);
    expect(settingsProblems(settings({ authorityHost: "https://user:pw@login.example.com/x" }))[0]).toMatch(
      /^authorityHost must be/,
    );
  });

  it("rejects a brought key that does not parse without quoting any of it, only saying what it must be", async () => {
    const [first] = await pair;
    const lines = first.privateKeyPem.split("\n");
    // A line of its body lost (a bad paste): still PEM-shaped, no longer a key.
    const broken = [...lines.slice(0, 5), ...lines.slice(6)].join("\n");
    const problems = settingsProblems(settings({ certificatePem: first.certificatePem, privateKeyPem: broken }));
    const text = problems.join("\n");
    for (const [i, line] of lines.entries())
      if (line.length > 8 && !line.startsWith("-----"))
        expectHolds(text, line.slice(0, 16), `the problems quote line ${i} of the key`, false);
    expectHolds(text, "PRIVATE KEY", "the problems quote the key's armour", false);
    expect(
      problems.length === 1 && problems[0] === "privateKeyPem is not a PEM private key (PKCS#1 or PKCS#8, unencrypted)",
      "one problem, naming the setting and the expected form",
    ).toBe(true);
  });

  it("names the certificate's subject when the brought key does not match it", async () => {
    const [first, second] = await pair;
    expect(
      settingsProblems(settings({ certificatePem: first.certificatePem, privateKeyPem: second.privateKeyPem })),
    ).toEqual([
      "privateKeyPem does not match certificatePem (subject CN=test client): set the key that was issued with this certificate",
    ]);
  });

  it("names a subject of several parts on one line, its parts separated by commas", async () => {
    const [, second] = await pair;
    const cert = await makeCertificate({ subject: "CN=orders worker, O=Contoso, C=NL" });
    const [problem = ""] = settingsProblems(
      settings({ certificatePem: cert.certificatePem, privateKeyPem: second.privateKeyPem }),
    );
    expect(problem).toContain("(subject CN=orders worker, O=Contoso, C=NL)");
  });

  it("counts a brought certificate as expired from its notAfter on, and valid until then", async () => {
    const [first] = await pair;
    const notAfter = new Date(new X509Certificate(first.certificatePem).validTo);
    const pair1 = { certificatePem: first.certificatePem, privateKeyPem: first.privateKeyPem };
    expect(settingsProblems(settings(pair1), notAfter)).toHaveLength(1);
    expect(settingsProblems(settings(pair1), new Date(notAfter.getTime() - 1000))).toEqual([]);
  });

  it("rejects a brought certificate that has expired", async () => {
    const [, second] = await pair;
    const old = await issueCertificate({
      key: second.key,
      subject: "CN=old",
      notBefore: new Date("2020-01-01"),
      notAfter: new Date("2021-01-01"),
      keyUsages: KeyUsageFlags.digitalSignature,
      extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
    });
    expect(settingsProblems(settings({ certificatePem: old, privateKeyPem: second.privateKeyPem }))).toEqual([
      "certificatePem expired on 2021-01-01T00:00:00.000Z: renew it and set the new certificate and key",
    ]);
  });

  it("rejects a brought certificate with a non-RSA key", async () => {
    const ec = await makeCertificate({ keyType: "ec" });
    expect(
      settingsProblems(settings({ certificatePem: ec.certificatePem, privateKeyPem: ec.privateKeyPem }))[0],
    ).toMatch(/has a ec key: Entra ID accepts only RSA/);
  });

  it("ignores key size and validity when the certificate is brought", async () => {
    const [first] = await pair;
    expect(
      settingsProblems(
        settings({
          certificatePem: first.certificatePem,
          privateKeyPem: first.privateKeyPem,
          keySize: 1,
          validityDays: 0,
        }),
      ),
    ).toEqual([]);
  });
});

describe("toWholeSeconds", () => {
  it("drops the tls provider's nanoseconds without rounding up past notAfter", () => {
    expect(toWholeSeconds("2027-11-28T09:00:00.977151145Z")).toBe("2027-11-28T09:00:00Z");
  });
  it("normalizes offsets to UTC", () => {
    expect(toWholeSeconds("2027-11-28T10:00:00.5+01:00")).toBe("2027-11-28T09:00:00Z");
  });
  it("rejects what is not RFC3339", () => {
    expect(() => toWholeSeconds("next tuesday")).toThrow(TypeError);
  });
});

describe("app roles", () => {
  it("have ids that are stable UUIDs, distinct per API and role", () => {
    expect(appRoleId("api", "Data.Read")).toBe(appRoleId("api", "Data.Read"));
    expect(appRoleId("api", "Data.Read")).not.toBe(appRoleId("api", "Data.Write"));
    expect(appRoleId("api", "Data.Read")).not.toBe(appRoleId("other-api", "Data.Read"));
    expect(appRoleId("api", "Data.Read")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
  it("are real version 5 UUIDs: the RFC 9562 example for www.example.com in the DNS namespace", () => {
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });
  it("are for applications, enabled", () => {
    expect(appRoleDefinitions("key", "api", ["A"])[0]).toMatchObject({
      allowedMemberTypes: ["Application"],
      enabled: true,
      value: "A",
    });
  });
  it("granted default to every role of the companion API, and to none of an existing API", () => {
    expect(grantedRoles({ roles: [], apiRoles: ["A", "B"], apiClientId: "" })).toEqual(["A", "B"]);
    expect(grantedRoles({ roles: [], apiRoles: ["A"], apiClientId: "00000000-0000-0000-0000-000000000001" })).toEqual(
      [],
    );
    expect(grantedRoles({ roles: ["B"], apiRoles: ["A", "B"], apiClientId: "" })).toEqual(["B"]);
  });
});

describe("the companion API's default identifier URI path", () => {
  it("is URI-safe, readable and unique per stack", () => {
    const a = identifierPath("Entra Cert", "dev/eu", "org/Entra Cert/dev/eu/client");
    expect(a).toMatch(/^entra-cert-dev-eu-[0-9a-f]{8}$/);
    expect(identifierPath("Entra Cert", "dev/eu", "org/Entra Cert/dev/eu/other")).not.toBe(a);
    expect(identifierPath("x", "prod", "org/x/prod/client")).not.toBe(identifierPath("x", "dev", "org/x/dev/client"));
  });
});

describe("readSettings", () => {
  it('reads each key with the reader of its type, so number("displayName") does not compile', () => {
    expectTypeOf<KeysOf<number>>().toEqualTypeOf<
      "keySize" | "validityDays" | "earlyRenewalDays" | "accessTokenVersion"
    >();
    expectTypeOf<KeysOf<string[]>>().toEqualTypeOf<"apiRoles" | "roles" | "owners">();
    expectTypeOf<"displayName">().not.toExtend<KeysOf<number>>();
  });

  it("reads the PFX settings and refuses an unknown encryption", () => {
    installEngine({ config: { pfxEncryption: "legacy3des", pfxPassword: "p" } });
    expect(readSettings()).toMatchObject({ pfxEncryption: "legacy3des", pfxPassword: "p", earlyRenewalDays: 0 });
    installEngine({ config: { pfxEncryption: "rc2" } });
    expect(() => readSettings()).toThrow(/pfxEncryption is not a known encryption: use aes256 or legacy3des/);
  });

  it.each([
    ["keySize", "a number"],
    ["roles", "a list of strings"],
    ["allowRotationReset", "true or false"],
  ])("refuses a %s that is not %s, naming the type and never the value", (key, type) => {
    installEngine({ config: { [key]: "s3cr3t-value" } });
    const error = (() => {
      try {
        readSettings();
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(new RegExp(`^${key} is not ${type}`))]);
    expect(String(error)).not.toContain("s3cr3t");
  });

  it("reads lists and flags as the CLI stores them", () => {
    installEngine({ config: { roles: ["A", "B"], allowRotationReset: "true", keySize: "3072" } });
    expect(readSettings()).toMatchObject({ roles: ["A", "B"], allowRotationReset: true, keySize: 3072 });
  });

  it("refuses the retired previousCertificatePem, naming how to remove it", () => {
    installEngine({ config: { previousCertificatePem: "-----BEGIN CERTIFICATE-----" } });
    let error: unknown;
    try {
      readSettings();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/pulumi config rm previousCertificatePem/);
  });
});
