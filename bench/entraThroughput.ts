import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { x5t } from "../common/thumbprint";
import { benchCertificate } from "./certificate";

/**
 * The standalone local Entra ID's token throughput: the server runs in its
 * own process, the compiled dist/entra/main.js that `npm run entra` runs, and
 * this process is the client. The client signs one assertion and reuses it
 * for every request, as MSAL does until it expires (Entra ID accepts a reused
 * assertion), so only the server's work is measured: TLS on a kept-alive
 * connection, the form, the assertion's signature check and claims, a signed
 * access token.
 */
export async function entraThroughput(root: string, concurrencies = [1, 16], total = 3000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "eca-bench-entra-"));
  const state = join(dir, "entra.json");
  const server = spawn(process.execPath, [join(root, "dist", "entra", "main.js"), "--state", state], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const host = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (c) => {
        out += c;
        const m = /authority host: (\S+)\n[\s\S]*serving on/.exec(out);
        const host = m?.[1];
        if (host) resolve(host);
      });
      server.once("exit", (code) => reject(new Error(`the local Entra ID exited ${code} before serving`)));
    });
    const caPem = readFileSync(join(dir, "ca.pem"), "utf8");
    const adminKey = readFileSync(`${state}.admin-key`, "utf8").trim();
    const agent = new Agent({ ca: caPem, keepAlive: true, maxSockets: Math.max(...concurrencies) });
    const call = (method: string, path: string, body: string, type = "application/json") =>
      new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const req = request(
          `${host}${path}`,
          {
            method,
            agent,
            headers: {
              Authorization: `Bearer ${adminKey}`,
              "Content-Type": type,
              "Content-Length": Buffer.byteLength(body),
            },
          },
          (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const tenantId = (await call("GET", "/graph/v1.0/organization", "")).json.value as { id: string }[];
    const tenant = tenantId[0]?.id;
    if (!tenant) throw new Error("the local Entra ID listed no tenant");
    const { key, certificatePem } = await benchCertificate();
    const roleId = randomUUID();
    const api = (
      await call(
        "POST",
        "/graph/v1.0/applications",
        JSON.stringify({
          displayName: "bench-api",
          identifierUris: ["api://bench"],
          api: { requestedAccessTokenVersion: 2 },
          appRoles: [{ id: roleId, value: "Data.Read", allowedMemberTypes: ["Application"], isEnabled: true }],
        }),
      )
    ).json as { id: string; appId: string };
    const apiSp = (await call("POST", "/graph/v1.0/servicePrincipals", JSON.stringify({ appId: api.appId }))).json;
    const app = (await call("POST", "/graph/v1.0/applications", JSON.stringify({ displayName: "bench" }))).json as {
      id: string;
      appId: string;
    };
    const sp = (await call("POST", "/graph/v1.0/servicePrincipals", JSON.stringify({ appId: app.appId }))).json;
    // As the azuread provider attaches a certificate: the whole keyCredentials list, key as base64 of the PEM.
    await call(
      "PATCH",
      `/graph/v1.0/applications/${app.id}`,
      JSON.stringify({ keyCredentials: [{ key: Buffer.from(certificatePem).toString("base64") }] }),
    );
    await call(
      "POST",
      `/graph/v1.0/servicePrincipals/${apiSp.id}/appRoleAssignedTo`,
      JSON.stringify({ principalId: sp.id, resourceId: apiSp.id, appRoleId: roleId }),
    );

    const endpoint = `${host}/${tenant}/oauth2/v2.0/token`;
    const thumbprint = x5t(certificatePem, "sha256");
    const iat = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ aud: endpoint, iss: app.appId, sub: app.appId, jti: randomUUID() })
      .setProtectedHeader({ alg: "PS256", typ: "JWT", "x5t#S256": thumbprint })
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 600)
      .sign(key);
    const form = new URLSearchParams({
      client_id: app.appId,
      scope: "api://bench/.default",
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    }).toString();
    const once = async () => {
      const res = await call("POST", `/${tenant}/oauth2/v2.0/token`, form, "application/x-www-form-urlencoded");
      if (res.status !== 200) throw new Error(`token request answered ${res.status}`);
    };
    for (let i = 0; i < 200; i++) await once(); // warm: connections open, JIT warm, certificate parsed

    console.log("\nstandalone local Entra ID (own process), one reused assertion, kept-alive HTTPS:");
    for (const concurrency of concurrencies) {
      let next = 0;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < total) await once();
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      console.log(
        `  concurrency ${String(concurrency).padStart(2)}: ${(total / seconds).toFixed(0)} tokens/s (${((seconds * 1000) / total).toFixed(2)} ms each, ${total} requests)`,
      );
    }
    agent.destroy();
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
