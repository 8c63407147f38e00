// The baseline for verify's wall time: the least a client does to get the same token.

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { ConfidentialClientApplication } from "@azure/msal-node";

const [outputsPath, authorityHost, caPath] = process.argv.slice(2);
const o = JSON.parse(readFileSync(outputsPath, "utf8"));
const agent = new Agent({ ca: readFileSync(caPath, "utf8") });
const send =
  (method) =>
  (url, opts = {}) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method, agent, headers: opts.headers }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(text) }));
      });
      req.on("error", reject);
      req.end(opts.body);
    });
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
