import { describe, expect, it } from "vitest";
import { fromEnvironment, fromStackOutputs } from "../../verify/inputs";
import { parseOptions } from "../../verify/options";

const tenantId = "11111111-2222-4333-8444-555555555555";
const clientId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const outputs = {
  tenantId,
  clientId,
  scope: "api://orders/.default",
  certificatePem: "cert",
  privateKeyPem: "key",
};
const certificate = { certificatePem: "cert", privateKeyPem: "key" };

describe("inputs: stack outputs and the AZURE_* variables, checked before any network call", () => {
  it("defaults the authority host to the public cloud and takes it from the authority output when there is one", () => {
    expect(fromStackOutputs(outputs, parseOptions([])).authorityHost).toBe("https://login.microsoftonline.com");
    const sovereign = { ...outputs, authority: `https://login.microsoftonline.us/${tenantId}/` };
    expect(fromStackOutputs(sovereign, parseOptions([])).authorityHost).toBe("https://login.microsoftonline.us");
    expect(fromStackOutputs({ ...outputs, expectedRoles: null }, parseOptions([])).expectedRoles).toEqual([]);
  });

  it("lets flags override the outputs, and the certificate file override certificatePem and privateKeyPem", () => {
    const { certificatePem: _c, privateKeyPem: _k, ...rest } = outputs;
    const inputs = fromStackOutputs(
      rest,
      parseOptions(["--scope", "https://graph.microsoft.com/.default", "--authority-host", "https://login.local/"]),
      "stack",
      { certificatePem: "from file", privateKeyPem: "key from file" },
    );
    expect(inputs).toMatchObject({
      source: "stack",
      scope: "https://graph.microsoft.com/.default",
      authorityHost: "https://login.local",
      certificatePem: "from file",
    });
  });

  it("normalizes declared thumbprints as people paste them (colons, spaces, lower case)", () => {
    const sha1 = "ab:cd:".repeat(10).slice(0, -1);
    expect(fromStackOutputs({ ...outputs, thumbprint: sha1 }, parseOptions([])).thumbprint).toBe("ABCD".repeat(10));
  });

  it.each<[string, unknown, string]>([
    ["a list instead of an object", [outputs], "stack outputs are not a JSON object"],
    ["null", null, "stack outputs are not a JSON object"],
    ["a number where a string belongs", { ...outputs, clientId: 42 }, "output clientId must be a string"],
    ["a missing scope", { ...outputs, scope: "" }, "output scope is missing"],
    [
      "an authority for another tenant",
      { ...outputs, authority: "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000" },
      `output authority https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000 does not end with the tenant id ${tenantId}`,
    ],
    [
      "an authority with a query",
      { ...outputs, authority: `https://login.microsoftonline.com/${tenantId}?x=1` },
      "output authority is not an https URL",
    ],
    [
      "an http authority",
      { ...outputs, authority: `http://localhost/${tenantId}` },
      "output authority is not an https URL",
    ],
  ])("refuses %s", (_what, value, message) => {
    expect(() => fromStackOutputs(value, parseOptions([]))).toThrow(message);
  });

  it("refuses an authority host with a path, quoting it only because it is an https URL", () => {
    expect(() => fromStackOutputs(outputs, parseOptions(["--authority-host", "https://login.local/tenant"]))).toThrow(
      "authority host https://login.local/tenant must be an https origin",
    );
    expect(() => fromStackOutputs(outputs, parseOptions(["--authority-host", "ftp://x y"]))).toThrow(
      /^authority host must be an https origin/,
    );
  });

  it("reads the Azure Identity variables, with AZURE_AUTHORITY_HOST or the public cloud", () => {
    const env = { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId };
    const options = parseOptions(["--scope", "api://orders/.default", "--expected-roles", "Orders.Read"]);
    expect(fromEnvironment(env, options, certificate)).toMatchObject({
      source: "environment",
      tenantId,
      clientId,
      authorityHost: "https://login.microsoftonline.com",
      expectedRoles: ["Orders.Read"],
    });
    expect(
      fromEnvironment(
        { ...env, AZURE_AUTHORITY_HOST: "https://login.chinacloudapi.cn" },
        parseOptions(["--scope", "api://o/.default"]),
        certificate,
      ).authorityHost,
    ).toBe("https://login.chinacloudapi.cn");
  });

  it.each<[NodeJS.ProcessEnv, string[], string]>([
    [
      { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId },
      [],
      "--scope is required with the AZURE_* environment variables",
    ],
    [{ AZURE_CLIENT_ID: clientId }, ["--scope", "api://o/.default"], "AZURE_TENANT_ID is not set"],
    [
      { AZURE_TENANT_ID: "contoso", AZURE_CLIENT_ID: clientId },
      ["--scope", "api://o/.default"],
      "AZURE_TENANT_ID is not a tenant id (a GUID)",
    ],
  ])("refuses the variables %j with %j", (env, args, message) => {
    expect(() => fromEnvironment(env, parseOptions(args), certificate)).toThrow(message);
  });
});
