import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The Azure CLI stand-in: where it is, and the arguments of every call it answered. */
export interface FakeAzureCli {
  /** A folder holding `az`: put it first on PATH. */
  bin: string;
  calls(): string[][];
}

/**
 * The Azure CLI as a pipeline leaves it after `az login` (azure/login in GitHub Actions, AzureCLI@2 in Azure
 * Pipelines), for what @azure/identity's AzureCliCredential runs: `az account get-access-token --output json
 * --resource <resource> [--tenant <tenant>]`, answered with `token` (which the test got for the logged-in identity
 * from the local Entra ID) in the CLI's JSON shape (accessToken, expiresOn, expires_on; Azure/azure-sdk-for-js
 * sdk/identity/identity/src/credentials/azureCliCredential.ts, `parseRawResponse`). Any other command, or another
 * resource, fails as the CLI does, on stderr with exit code 1. The token sits in a 0600 file of `dir`.
 */
export function fakeAzureCli(
  dir: string,
  token: { token: string; expiresOnTimestamp: number },
  resource = "https://vault.azure.net",
): FakeAzureCli {
  const bin = join(dir, "az-bin");
  mkdirSync(bin, { recursive: true });
  const tokenFile = join(dir, "az-token.json");
  const callsFile = join(dir, "az-calls.jsonl");
  writeFileSync(tokenFile, JSON.stringify(token), { mode: 0o600 });
  writeFileSync(callsFile, "");
  const script = `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(callsFile)}, JSON.stringify(args) + "\\n");
const flag = (name) => args[args.indexOf(name) + 1];
if (args[0] !== "account" || args[1] !== "get-access-token" || flag("--output") !== "json") {
  console.error("ERROR: the fake az answers only account get-access-token --output json");
  process.exit(1);
}
if (flag("--resource") !== ${JSON.stringify(resource)}) {
  console.error("ERROR: the logged-in identity has no token for that resource here");
  process.exit(1);
}
const { token, expiresOnTimestamp } = JSON.parse(fs.readFileSync(${JSON.stringify(tokenFile)}, "utf8"));
process.stdout.write(JSON.stringify({
  accessToken: token,
  expiresOn: new Date(expiresOnTimestamp).toISOString().replace("T", " ").replace("Z", ""),
  expires_on: Math.floor(expiresOnTimestamp / 1000),
  tokenType: "Bearer",
}, null, 2));
`;
  writeFileSync(join(bin, "az"), script);
  chmodSync(join(bin, "az"), 0o755);
  return {
    bin,
    calls: () =>
      existsSync(callsFile)
        ? readFileSync(callsFile, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}
