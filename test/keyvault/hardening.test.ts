import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { connect } from "node:tls";
import { describe, expect, it } from "vitest";
import { readPfx } from "../../verify/pfx";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

describe("the local Key Vault's answers to bad requests", () => {
  const v = vaultForFile(async (t) => ({ token: await adminToken(t) }));

  const call = (method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: { json?: unknown; raw?: string }) =>
    vaultRequest(v.t.vault, method, path, { token: v.token, ...body });
  const create = (name: string, json: unknown) => call("POST", `/certificates/${name}/create`, { json });
  const policyWith = (section: string, fields: Record<string, unknown>) => {
    const body = createBody();
    const policy = body.policy as Record<string, Record<string, unknown>>;
    policy[section] = { ...policy[section], ...fields };
    return body;
  };

  it.each([
    ["kty EC", policyWith("key_props", { kty: "EC" }), "policy.key_props.kty"],
    ["key_size 1024", policyWith("key_props", { key_size: 1024 }), "policy.key_props.key_size"],
    ["key_size as text", policyWith("key_props", { key_size: "2048" }), "policy.key_props.key_size"],
    ["exportable as text", policyWith("key_props", { exportable: "no" }), "policy.key_props.exportable"],
    ["an issuer other than Self", policyWith("issuer", { name: "DigiCert" }), "policy.issuer.name"],
    ["validity_months 0", policyWith("x509_props", { validity_months: 0 }), "policy.x509_props.validity_months"],
    ["a subject that is no DN", policyWith("x509_props", { subject: "no equals sign" }), "policy.x509_props.subject"],
    ["an unknown key usage", policyWith("x509_props", { key_usage: ["everything"] }), "policy.x509_props.key_usage"],
    ["ekus that are no OIDs", policyWith("x509_props", { ekus: ["clientAuth"] }), "policy.x509_props.ekus"],
    ["a policy that is a list", { policy: [] }, "policy"],
    ["a body that is a list", [], "JSON object"],
  ])("answers a create with %s with 400 BadParameter naming the field", async (_, json, field) => {
    const res = await create("bad-policy", json);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BadParameter");
    expect(res.body.error.message).toContain(field);
  });

  it.each([
    ["not JSON", "{"],
    ["empty", ""],
    ["larger than 256 KiB", JSON.stringify({ ...createBody(), tags: { a: "x".repeat(300 * 1024) } })],
    // Past 16 times the cap a body that is read and dropped is cut off: the declared length is refused before.
    ["8 MiB", "x".repeat(8 * 1024 * 1024)],
  ])("answers a body that is %s with 400 BadParameter", async (_, raw) => {
    const res = await call("POST", "/certificates/bad-body/create", { raw });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("BadParameter");
  });

  /** Sends bytes as they are over TLS (no HTTP client would send these) and reads the answer to the end. */
  const sendRaw = (text: string) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: v.t.vault.port, ca: v.t.vault.caPem, servername: "localhost" });
      let answer = "";
      socket.on("secureConnect", () => socket.write(text));
      socket.on("data", (d) => {
        answer += d;
      });
      socket.on("error", reject);
      socket.on("close", () => {
        const [head = "", ...rest] = answer.split("\r\n\r\n");
        resolve({ status: Number(head.split(" ")[1]), body: JSON.parse(rest.join("\r\n\r\n") || "null") });
      });
    });

  it.each([
    ["an unknown method", "FOO /certificates?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400],
    [
      "raw non-ASCII bytes in the path",
      "GET /certificates/\u20ac?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n\r\n",
      400,
    ],
    ["bytes that are no HTTP", "\u0000\u0001 not http\r\n\r\n", 400],
    ["a CONNECT", "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n", 400],
    [
      "header fields past the parser's limit",
      `GET /certificates HTTP/1.1\r\nX-Padding: ${"a".repeat(64 * 1024)}\r\n\r\n`,
      431,
    ],
  ])(
    "answers %s, which node's HTTP parser refuses, with a 4xx in Key Vault's error shape, and keeps serving",
    async (_, text, status) => {
      const res = await sendRaw(text);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code: "BadParameter", message: expect.any(String) } });
      expect((await call("GET", "/certificates")).status).toBe(200);
    },
  );

  it("answers unknown routes, bad names and bad sign requests with 4xx, and keeps serving", async () => {
    expect((await call("GET", "/nothing/here")).status).toBe(400);
    expect((await call("GET", "/certificates/bad_name!")).status).toBe(400);
    expect((await call("GET", `/certificates/${"a".repeat(128)}`)).status).toBe(400);
    expect((await call("GET", "/certificates/missing")).body.error.code).toBe("CertificateNotFound");
    expect((await call("GET", "/keys/missing/00000000000000000000000000000000")).body.error.code).toBe("KeyNotFound");
    expect((await create("signs", createBody())).status).toBe(202);
    const latest = await call("GET", "/certificates/signs");
    const version = latest.body.id.split("/").at(-1);
    expect((await call("GET", "/certificates/signs/ffffffffffffffffffffffffffffffff")).status).toBe(404);
    const pasted = await call("GET", "/certificates/signs/sk-live-hunter2hunter2");
    expect(pasted.status).toBe(404);
    expect(pasted.body.error.message).not.toContain("hunter2");
    expect((await call("GET", "/keys/signs/sk-live-hunter2hunter2")).body.error.message).not.toContain("hunter2");
    const digest = createHash("sha256").update("x").digest("base64url");
    for (const json of [
      { alg: "ES256", value: digest },
      { alg: "PS256", value: digest.slice(0, 20) },
      { alg: "RS256", value: "not base64url!" },
      { alg: "PS256" },
      ["PS256", digest],
    ]) {
      const res = await call("POST", `/keys/signs/${version}/sign`, { json });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("BadParameter");
    }
    expect((await call("POST", `/keys/signs/${version}/sign`, { raw: "{" })).status).toBe(400);
    const good = await call("POST", `/keys/signs/${version}/sign`, { json: { alg: "PS256", value: digest } });
    expect(good.status).toBe(200);
    expect(good.body.kid).toBe(`${v.t.vault.vaultUrl}/keys/signs/${version}`);
  });

  it("quotes a version in a not-found error only when it has a version's shape, never a pasted secret", async () => {
    expect((await create("quoted", createBody())).status).toBe(202);
    const pasted = "sk-live-hunter2hunter2";
    const hex = "0123456789abcdef0123456789abcdef";
    for (const [method, path, json] of [
      ["GET", `/certificates/quoted/${pasted}`],
      ["GET", `/keys/quoted/${pasted}`],
      ["GET", `/secrets/quoted/${pasted}`],
      ["POST", `/keys/quoted/${pasted}/sign`, { alg: "PS256", value: createHash("sha256").digest("base64url") }],
      ["PATCH", `/certificates/quoted/${pasted}`, { tags: {} }],
    ] as const) {
      const res = await vaultRequest(v.t.vault, method, path, { token: v.token, json });
      expect(res.status, path).toBe(404);
      expect(res.body.error.message, path).toMatch(
        /^A (certificate|key|secret) with \(name\/id\) quoted \(the requested version\) was not found/,
      );
      expect(JSON.stringify(res.body), path).not.toContain("hunter2");
    }
    // Without a version (the latest), the name alone, as the service words it.
    for (const [path, kind] of [
      ["/keys/never-made", "key"],
      ["/secrets/never-made", "secret"],
      ["/certificates/never-made", "certificate"],
    ] as const)
      expect((await call("GET", path)).body.error.message, path).toMatch(
        new RegExp(`^A ${kind} with \\(name/id\\) never-made was not found in this key vault\\.`),
      );
    const versioned = await call("GET", `/secrets/quoted/${hex}`);
    expect(versioned.body.error.message).toMatch(
      new RegExp(`^A secret with \\(name/id\\) quoted/${hex} was not found`),
    );
  });

  it("never serves a non-exportable private key by any route, and serves an exportable one only as its secret", async () => {
    const routes = (name: string, version: string) => [
      `/certificates/${name}`,
      `/certificates/${name}/${version}`,
      `/certificates/${name}/versions`,
      `/certificates/${name}/pending`,
      `/certificates/${name}/policy`,
      "/certificates",
      `/keys/${name}/${version}`,
      `/keys/${name}`,
      `/secrets/${name}/${version}`,
      `/secrets/${name}`,
    ];
    /** The private parts of a certificate's key as they would appear in any answer: JWK fields and raw bytes. */
    const privateParts = (name: string) => {
      const state = JSON.parse(readFileSync(v.t.statePath, "utf8"));
      const latest = state.certificates[name].versions.at(-1);
      const jwk = createPrivateKey(latest.privateKeyPem).export({ format: "jwk" });
      return { version: latest.version as string, parts: [jwk.d, jwk.p, jwk.q].map((p) => String(p)) };
    };
    const holdsKey = (text: string, parts: string[]) =>
      parts.some((p) => {
        const bytes = Buffer.from(p, "base64url");
        // As base64url text, or inside any base64 value (a PFX) once decoded.
        const decoded = [...text.matchAll(/[A-Za-z0-9+/]{200,}={0,2}/g)].map((m) => Buffer.from(m[0], "base64"));
        return text.includes(p) || decoded.some((d) => d.includes(bytes));
      });

    expect((await create("sealed", createBody({ exportable: false }))).status).toBe(202);
    const sealed = privateParts("sealed");
    for (const path of routes("sealed", sealed.version)) {
      const res = await call("GET", path);
      expect(res.status, path).toBe(200);
      expect(holdsKey(JSON.stringify(res.body), sealed.parts), `${path} holds the private key`).toBe(false);
    }
    const secret = await call("GET", `/secrets/sealed/${sealed.version}`);
    expect(secret.body.contentType).toBe("application/x-pkcs12");
    expect(secret.body.kid).toBe(`${v.t.vault.vaultUrl}/keys/sealed/${sealed.version}`);
    const deleted = await call("DELETE", "/certificates/sealed");
    expect(holdsKey(JSON.stringify(deleted.body), sealed.parts)).toBe(false);
    expect(holdsKey(JSON.stringify((await call("GET", "/deletedcertificates/sealed")).body), sealed.parts)).toBe(false);

    // The same check finds the key where it is served: an exportable certificate's secret (the PFX).
    expect((await create("open", createBody({ exportable: true }))).status).toBe(202);
    const open = privateParts("open");
    const pfx = await call("GET", `/secrets/open/${open.version}`);
    expect(holdsKey(JSON.stringify(pfx.body), open.parts)).toBe(true);
    expect(holdsKey(JSON.stringify((await call("GET", `/keys/open/${open.version}`)).body), open.parts)).toBe(false);
  });

  it("serves an exportable certificate's secret as a PFX a PKCS#12 reader opens with an empty password, or as PEM", async () => {
    expect((await create("pfx", createBody({ exportable: true }))).status).toBe(202);
    const secret = await call("GET", "/secrets/pfx");
    expect(secret.body.contentType).toBe("application/x-pkcs12");
    const read = await readPfx(Buffer.from(secret.body.value, "base64"), "the secret", "");
    const cer = (await call("GET", "/certificates/pfx")).body.cer;
    expect(new X509Certificate(read.certificatePem).raw.toString("base64")).toBe(cer);
    expect(new X509Certificate(read.certificatePem).checkPrivateKey(createPrivateKey(read.privateKeyPem ?? ""))).toBe(
      true,
    );

    const pem = (exportable: boolean) => {
      const body = createBody({ exportable });
      (body.policy.secret_props as { contentType: string }).contentType = "application/x-pem-file";
      return body;
    };
    expect((await create("pem-open", pem(true))).status).toBe(202);
    expect((await create("pem-sealed", pem(false))).status).toBe(202);
    const open = (await call("GET", "/secrets/pem-open")).body;
    expect(open.contentType).toBe("application/x-pem-file");
    expect(open.value).toMatch(/-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    const sealed = (await call("GET", "/secrets/pem-sealed")).body.value;
    expect(sealed).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(sealed).not.toContain("PRIVATE KEY");
  });

  it("keeps the vault's keys in a state file only its owner may read", () => {
    expect(statSync(v.t.statePath).mode & 0o777).toBe(0o600);
    expect(statSync(`${v.t.statePath}.tls.json`).mode & 0o777).toBe(0o600);
    expect(statSync(v.t.vault.adminKeyPath).mode & 0o777).toBe(0o600);
  });
});
