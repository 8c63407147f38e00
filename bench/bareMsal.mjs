// The floor for verify's wall time: the least a client does to get the same token (no checks), run by
// `npm run -s bench:bare -- <outputs.json> <authority host> <ca.pem>`. Uses the project's one JSON-over-HTTPS
// helper (compiled), so the two sides differ only in what verify adds.

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { createRequire } from "node:module";
import { ConfidentialClientApplication } from "@azure/msal-node";

const { requestJson } = createRequire(import.meta.url)("../dist/common/https.js");
const [outputsPath, authorityHost, caPath] = process.argv.slice(2);
const o = JSON.parse(readFileSync(outputsPath, "utf8"));
const agent = new Agent({ ca: readFileSync(caPath, "utf8") });
const send =
  (method) =>
  async (url, opts = {}) => {
    const res = await requestJson(url, { method, agent, headers: opts.headers, body: opts.body });
    return { status: res.status, headers: res.headers, body: res.body ?? {} };
  };
const app = new ConfidentialClientApplication({
  auth: {
    clientId: o.clientId,
    authority: `${authorityHost}/${o.tenantId}`,
    knownAuthorities: [new URL(authorityHost).host],
    clientCertificate: {
      thumbprintSha256: new X509Certificate(o.certificatePem).fingerprint256.replaceAll(":", ""),
      privateKey: o.privateKeyPem,
    },
  },
  system: { networkClient: { sendGetRequestAsync: send("GET"), sendPostRequestAsync: send("POST") } },
});
const result = await app.acquireTokenByClientCredential({ scopes: [o.scope], skipCache: true });
console.log(result?.accessToken ? "token acquired" : "no token");
