import { Agent } from "node:https";
import { describe, expect, it } from "vitest";
import { isAzureVaultHost, trustCaPolicy } from "../../common/azureSdk";

describe("trustCaPolicy", () => {
  it("sends every request through one HTTPS agent that trusts the given CA, per call", async () => {
    const { policy, position } = trustCaPolicy("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    expect(position).toBe("perCall");
    const seen: unknown[] = [];
    const next = async (r: { agent?: unknown }) => {
      seen.push(r.agent);
      return "sent";
    };
    expect(await policy.sendRequest({}, next)).toBe("sent");
    await policy.sendRequest({ agent: undefined }, next);
    expect(seen[0]).toBeInstanceOf(Agent);
    expect(seen[1]).toBe(seen[0]);
    expect((seen[0] as Agent).options.ca).toContain("BEGIN CERTIFICATE");
  });

  it("leaves plain-http requests alone (managed identity's IMDS probe would fail on an https agent)", async () => {
    const { policy } = trustCaPolicy("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const request: { agent?: unknown; url: string } = { url: "http://169.254.169.254/metadata/identity/oauth2/token" };
    await policy.sendRequest(request, async () => "sent");
    expect(request.agent).toBeUndefined();
    const secure: { agent?: unknown; url: string } = { url: "https://my-vault.vault.azure.net/keys/k" };
    await policy.sendRequest(secure, async () => "sent");
    expect(secure.agent).toBeInstanceOf(Agent);
  });
});

describe("isAzureVaultHost", () => {
  it.each([
    ["https://myvault.vault.azure.net", true],
    ["https://myvault.vault.azure.net/keys/k/1", true],
    ["https://myvault.vault.azure.cn", true],
    ["https://myvault.vault.usgovcloudapi.net", true],
    ["https://myhsm.managedhsm.azure.net", true],
    ["https://localhost:8443", false],
    ["https://vault.azure.net.example.com", false],
    ["https://evilvault.azure.net", false],
    ["not a url", false],
  ])("%s: %s", (url, expected) => {
    expect(isAzureVaultHost(url)).toBe(expected);
  });
});
