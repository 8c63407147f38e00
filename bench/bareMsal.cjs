// The floor for verify's wall time: the least a client does to get the same token (no checks), run by
// `npm run -s bench:bare -- <outputs.json> <authority host> <ca.pem>`. CommonJS, as the compiled verify is, and
// the project's one JSON-over-HTTPS helper (compiled), so the two sides differ only in what verify adds.

const { X509Certificate } = require("node:crypto");
const { readFileSync } = require("node:fs");
const { Agent } = require("node:https");
const { ConfidentialClientApplication } = require("@azure/msal-node");
const { requestJson } = require("../dist/common/https.js");

const [outputsPath, authorityHost, caPath] = process.argv.slice(2);
const o = JSON.parse(readFileSync(outputsPath, "utf8"));
const agent = new Agent({ ca: readFileSync(caPath, "utf8"), keepAlive: true });
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
app.acquireTokenByClientCredential({ scopes: [o.scope], skipCache: true }).then((result) => {
  console.log(result?.accessToken ? "token acquired" : "no token");
});
