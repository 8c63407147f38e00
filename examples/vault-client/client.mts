// client.mts: node client.mts outputs.json, with outputs.json from `pulumi stack output --json`
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { DefaultAzureCredential } from "@azure/identity";
import { CryptographyClient } from "@azure/keyvault-keys";
import { ConfidentialClientApplication } from "@azure/msal-node";

const out = JSON.parse(readFileSync(process.argv[2] ?? "outputs.json", "utf8"));
// Only for the offline rehearsal's local Entra ID and Key Vault, which live on localhost (their CA comes from
// NODE_EXTRA_CA_CERTS, the authority host from AZURE_AUTHORITY_HOST). Against Azure, loopback is false.
const loopback = new URL(out.keyVaultKeyId).hostname === "localhost";
const credential = new DefaultAzureCredential({ disableInstanceDiscovery: loopback }); // Key Vault Crypto User
const vault = new CryptographyClient(out.keyVaultKeyId, credential, {
  disableChallengeResourceVerification: loopback,
});
const der = new X509Certificate(out.certificatePem).raw;
const b64url = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");

async function clientAssertion(config: { clientId: string; tokenEndpoint?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: "PS256", typ: "JWT", "x5t#S256": b64url(createHash("sha256").update(der).digest()) };
  const claims = {
    aud: config.tokenEndpoint ?? `${out.authority}/oauth2/v2.0/token`,
    iss: config.clientId,
    sub: config.clientId,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 600,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const { result } = await vault.sign("PS256", createHash("sha256").update(input).digest());
  return `${input}.${b64url(result)}`;
}

const app = new ConfidentialClientApplication({
  auth: {
    clientId: out.clientId,
    authority: out.authority,
    clientAssertion,
    knownAuthorities: loopback ? [new URL(out.authority).host] : [],
  },
});
const token = await app.acquireTokenByClientCredential({ scopes: [out.scope] });
console.log(`token for ${out.scope}, expires ${token?.expiresOn?.toISOString()}`);
