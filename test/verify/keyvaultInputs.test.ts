import { createPublicKey, X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { identityOptions, isAzureVaultHost, vaultClientOptions } from "../../common/azureSdk";
import { ArgumentError } from "../../common/errors";
import { readCertificateFile } from "../../verify/certificateFile";
import { InputError } from "../../verify/errors";
import { fromEnvironment, fromStackOutputs, vaultMode } from "../../verify/inputs";
import { type KeyIdProblem, keyIdProblemMessage, parseKeyVaultKeyId } from "../../verify/keyVaultKeyId";
import { parseOptions } from "../../verify/options";
import { preflight } from "../../verify/preflight";
import { classifyVaultFailure } from "../../verify/vaultFailure";
import { vaultKeyChecks } from "../../verify/vaultPreflight";
import { makeCertificate, type TestCertificate } from "../support/certificates";
import { fileTempDir } from "../support/tempFolders";

const version = "0123456789abcdef0123456789ABCDEF";
const keyId = `https://my-vault.vault.azure.net/keys/client-cert/${version}`;
const tenantId = "11111111-2222-4333-8444-555555555555";
const clientId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const base = { tenantId, clientId, scope: "api://orders/.default", certificatePem: "cert" };
const dir = fileTempDir("eca-kv-inputs-");

describe("Key Vault key ids: the versioned id, nothing else, never echoed", () => {
  it("takes a versioned id apart", () => {
    expect(parseKeyVaultKeyId(keyId)).toEqual({
      id: keyId,
      vaultUrl: "https://my-vault.vault.azure.net",
      name: "client-cert",
      version: version.toLowerCase(),
    });
    expect(parseKeyVaultKeyId(`https://localhost:8443/keys/a/${version}`)).toMatchObject({
      vaultUrl: "https://localhost:8443",
    });
  });

  it.each<[string, string, "not-a-key-id" | "no-version" | "not-a-vault-host"]>([
    ["a host that is not Key Vault's", `https://attacker.example.com/keys/k/${version}`, "not-a-vault-host"],
    ["a vault domain as a prefix", `https://vault.azure.net.example.com/keys/k/${version}`, "not-a-vault-host"],
    ["a private address", `https://10.0.0.5/keys/k/${version}`, "not-a-vault-host"],
    ["a versionless id", "https://my-vault.vault.azure.net/keys/client-cert", "no-version"],
    ["a versionless id with a slash", "https://my-vault.vault.azure.net/keys/client-cert/", "no-version"],
    ["http", `http://my-vault.vault.azure.net/keys/client-cert/${version}`, "not-a-key-id"],
    ["a certificate id", `https://my-vault.vault.azure.net/certificates/client-cert/${version}`, "not-a-key-id"],
    ["a short version", "https://my-vault.vault.azure.net/keys/client-cert/0123abcd", "not-a-key-id"],
    ["a query", `${keyId}?api-version=7.4`, "not-a-key-id"],
    ["credentials in the URL", `https://user:pw@my-vault.vault.azure.net/keys/k/${version}`, "not-a-key-id"],
    ["a name with an underscore", `https://my-vault.vault.azure.net/keys/client_cert/${version}`, "not-a-key-id"],
    ["a PEM", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "not-a-key-id"],
    ["a password", "hunter2hunter2", "not-a-key-id"],
  ])("refuses %s", (_what, text, problem) => {
    expect(parseKeyVaultKeyId(text)).toBe(problem);
  });

  it("takes an id of up to 400 characters and refuses a longer one", () => {
    const id = (length: number) => `https://${"a".repeat(length - 64)}.vault.azure.net/keys/k/${version}`;
    expect(id(400)).toHaveLength(400);
    expect(parseKeyVaultKeyId(id(400))).toMatchObject({ name: "k" });
    expect(parseKeyVaultKeyId(id(401))).toBe("not-a-key-id");
  });

  it("refuses an id with whitespace around or in it, which the URL parser would silently strip", () => {
    expect(new URL(`${keyId}\n`).pathname).toBe(`/keys/client-cert/${version}`);
    for (const text of [`${keyId}\n`, ` ${keyId}`, `${keyId}\t`, keyId.replace("/keys/", "/keys/\n")])
      expect(parseKeyVaultKeyId(text)).toBe("not-a-key-id");
  });

  it.each<[KeyIdProblem, string]>([
    [
      "not-a-vault-host",
      "keyVaultKeyId is not on a Key Vault host (<vault>.vault.azure.net, the sovereign clouds' vault domains, or a loopback vault): verify sends the signing identity's token only to Key Vault",
    ],
    [
      "no-version",
      "keyVaultKeyId names a key without its version: give the versioned id (https://<vault>/keys/<name>/<32 hex digits>), as the stack's keyVaultKeyId output holds it; the certificate was issued for one version of the key",
    ],
    ["not-a-key-id", "keyVaultKeyId is not a Key Vault key id (https://<vault>/keys/<name>/<32 hex digits>)"],
  ])("says of a %s id, naming the field only: …", (problem, message) => {
    expect(keyIdProblemMessage("keyVaultKeyId", problem)).toBe(message);
  });

  it("refuses a bad --key-vault-key-id as an argument error (exit 2) that does not quote it", () => {
    const pasted = "s3cr3t-value-pasted-here";
    const err = (() => {
      try {
        parseOptions(["--key-vault-key-id", pasted]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as ArgumentError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      "--key-vault-key-id is not a Key Vault key id (https://<vault>/keys/<name>/<32 hex digits>)",
    );
    expect(() => parseOptions(["--key-vault-key-id", "https://v.vault.azure.net/keys/k"])).toThrow(
      "--key-vault-key-id names a key without its version: give the versioned id (https://<vault>/keys/<name>/<32 hex digits>), as the stack's keyVaultKeyId output holds it; the certificate was issued for one version of the key",
    );
    expect(parseOptions(["--key-vault-key-id", keyId]).keyVaultKeyId).toBe(keyId);
  });
});

describe("which key signs: the outputs' keyVaultKeyId, the flag, or the private key", () => {
  it("signs with Key Vault when the outputs name a vault key and hold no private key, reading no key", () => {
    const inputs = fromStackOutputs({ ...base, keyVaultKeyId: keyId }, parseOptions([]));
    expect(inputs.privateKeyPem).toBeUndefined();
    expect(inputs.keyVault).toEqual({
      key: parseKeyVaultKeyId(keyId),
      names: { keyId: "keyVaultKeyId", certificate: "certificatePem" },
    });
  });

  it("keeps the local key when the outputs hold one, and lets the flag choose Key Vault over it", () => {
    const both = { ...base, privateKeyPem: "key", keyVaultKeyId: keyId };
    expect(vaultMode(parseOptions([]), both)).toBe(false);
    expect(fromStackOutputs(both, parseOptions([])).keyVault).toBeUndefined();
    const flagged = fromStackOutputs(both, parseOptions(["--key-vault-key-id", keyId]));
    expect(flagged.privateKeyPem).toBeUndefined();
    expect(flagged.keyVault?.names).toEqual({ keyId: "--key-vault-key-id", certificate: "certificatePem" });
    const withFile = fromStackOutputs(
      base,
      parseOptions(["--key-vault-key-id", keyId, "--certificate", "c.pem"]),
      "outputs",
      {
        certificatePem: "from file",
      },
    );
    expect(withFile).toMatchObject({
      certificatePem: "from file",
      keyVault: { names: { certificate: "--certificate" } },
    });
  });

  it("names the output, never its value, when keyVaultKeyId is malformed or versionless", () => {
    expect(() => fromStackOutputs({ ...base, keyVaultKeyId: "hunter2hunter2" }, parseOptions([]))).toThrow(
      new InputError("output keyVaultKeyId is not a Key Vault key id (https://<vault>/keys/<name>/<32 hex digits>)"),
    );
    expect(() =>
      fromStackOutputs({ ...base, keyVaultKeyId: "https://v.vault.azure.net/keys/k" }, parseOptions([])),
    ).toThrow(/^output keyVaultKeyId names a key without its version/);
    expect(() => fromStackOutputs({ ...base, keyVaultKeyId: keyId, certificatePem: "" }, parseOptions([]))).toThrow(
      "output certificatePem is missing",
    );
  });

  it("signs with Key Vault from the AZURE_* variables only with the flag, the certificate named by its variable", () => {
    const env = { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId };
    const options = parseOptions(["--key-vault-key-id", keyId, "--scope", "api://orders/.default"]);
    const inputs = fromEnvironment(env, options, { certificatePem: "cert" });
    expect(inputs.keyVault?.names).toEqual({
      keyId: "--key-vault-key-id",
      certificate: "AZURE_CLIENT_CERTIFICATE_PATH",
    });
    expect(vaultMode(parseOptions([]))).toBe(false);
  });
});

describe("the certificate alone, for Key Vault signing", () => {
  let cert: TestCertificate;
  beforeAll(async () => {
    cert = await makeCertificate();
  });

  it("reads a PEM that holds only the certificate, and refuses one with a key (the key stays in the vault)", async () => {
    const only = join(dir, "only.pem");
    const pair = join(dir, "pair.pem");
    writeFileSync(only, cert.certificatePem);
    writeFileSync(pair, `${cert.certificatePem}${cert.privateKeyPem}`);
    expect(await readCertificateFile(only, "--certificate", "", "certificate only")).toEqual({
      certificatePem: cert.certificatePem.trim(),
    });
    await expect(readCertificateFile(pair, "--certificate", "", "certificate only")).rejects.toThrow(
      `--certificate ${pair} must be a PEM holding the certificate only: with Key Vault signing the private key stays in the vault`,
    );
    const der = join(dir, "cert.der");
    writeFileSync(der, new X509Certificate(cert.certificatePem).raw);
    await expect(readCertificateFile(der, "--certificate", "", "certificate only")).rejects.toThrow(
      /must be a PEM holding the certificate only/,
    );
  });

  it("runs the certificate's own preflight with no key: RSA, in date, thumbprints", async () => {
    const x509 = new X509Certificate(cert.certificatePem);
    const outputs = {
      ...base,
      certificatePem: cert.certificatePem,
      keyVaultKeyId: keyId,
      thumbprint: x509.fingerprint.replaceAll(":", ""),
    };
    const pre = preflight(fromStackOutputs(outputs, parseOptions([])), 0);
    expect(pre.key).toBeUndefined();
    expect(pre.checks.map((c) => [c.name, c.ok])).toEqual([
      ["certificate key type", true],
      ["certificate validity", true],
      ["thumbprint (SHA-1)", true],
    ]);
    const ec = await makeCertificate({ keyType: "ec" });
    expect(() =>
      preflight(
        fromStackOutputs({ ...base, certificatePem: ec.certificatePem, keyVaultKeyId: keyId }, parseOptions([])),
        0,
      ),
    ).toThrow(/^certificate key type: the certificate's key is ec: Entra ID accepts only RSA certificate credentials/);
  });
});

describe("the vault key against the certificate", () => {
  let cert: TestCertificate;
  let other: TestCertificate;
  beforeAll(async () => {
    cert = await makeCertificate();
    other = await makeCertificate();
  });
  const names = { keyId: "keyVaultKeyId", certificate: "certificatePem" };
  const now = new Date(Date.UTC(2026, 5, 1));
  const vaultKey = (key: TestCertificate, extra: Record<string, unknown> = {}) => ({
    id: parseKeyVaultKeyId(keyId) as Exclude<ReturnType<typeof parseKeyVaultKeyId>, string>,
    kty: "RSA-HSM",
    // As the vault answers it: the public part only, as JWK n and e.
    publicKey: createPublicKey({ key: createPublicKey(key.key).export({ format: "jwk" }), format: "jwk" }),
    keyOps: ["sign", "verify"],
    enabled: true,
    ...extra,
  });

  it("passes the certificate's own key: same modulus and exponent", () => {
    const checks = vaultKeyChecks(vaultKey(cert), new X509Certificate(cert.certificatePem), names, now);
    expect(checks).toEqual([
      { name: "vault key type", ok: true, detail: "RSA-HSM 2048 bits" },
      { name: "vault key matches certificate", ok: true, detail: `${keyId} holds the certificate's key` },
    ]);
  });

  it("fails a key that is not the certificate's, naming keyVaultKeyId and certificatePem", () => {
    const checks = vaultKeyChecks(vaultKey(other), new X509Certificate(cert.certificatePem), names, now);
    expect(checks.find((c) => !c.ok)).toEqual({
      name: "vault key matches certificate",
      ok: false,
      detail:
        "the key keyVaultKeyId names is not the key of certificatePem: take both from one deployment (the key id of the certificate's version)",
    });
  });

  it("passes a software RSA key, and a key whose operations and dates the vault did not say", () => {
    const key = vaultKey(cert, { kty: "RSA", keyOps: undefined, enabled: undefined });
    const checks = vaultKeyChecks(key, new X509Certificate(cert.certificatePem), names, now);
    expect(checks.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ["vault key type", true, "RSA 2048 bits"],
      ["vault key matches certificate", true, `${keyId} holds the certificate's key`],
    ]);
  });

  it("takes a key from the moment its notBefore comes to the moment before it expires", () => {
    const at = (extra: Record<string, unknown>) =>
      vaultKeyChecks(vaultKey(cert, extra), new X509Certificate(cert.certificatePem), names, now).filter((c) => !c.ok);
    expect(at({ notBefore: now, expiresOn: new Date(now.getTime() + 1) })).toEqual([]);
    expect(at({ expiresOn: now }).map((c) => c.name)).toEqual(["vault key validity"]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      "an EC key",
      { kty: "EC", publicKey: undefined },
      "keyVaultKeyId names a key of type EC: Entra ID accepts only RSA certificate credentials; give the key of the certificate in certificatePem",
    ],
    [
      "an RSA key the vault gave no public part of",
      { kty: "RSA", publicKey: undefined },
      "keyVaultKeyId names a key without a public part: Entra ID accepts only RSA certificate credentials; give the key of the certificate in certificatePem",
    ],
    [
      "a key type of odd shape, not repeated",
      { kty: "<script>EC", publicKey: undefined },
      "keyVaultKeyId names a key of another type than RSA: Entra ID accepts only RSA certificate credentials; give the key of the certificate in certificatePem",
    ],
    [
      "a key type that is too long or not upper case, not repeated",
      { kty: "OCT-HSM-EXTRA", publicKey: undefined },
      "keyVaultKeyId names a key of another type than RSA: Entra ID accepts only RSA certificate credentials; give the key of the certificate in certificatePem",
    ],
    [
      "a key type in lower case, not repeated",
      { kty: "ec", publicKey: undefined },
      "keyVaultKeyId names a key of another type than RSA: Entra ID accepts only RSA certificate credentials; give the key of the certificate in certificatePem",
    ],
    [
      "a key that may not sign",
      { keyOps: ["encrypt", "decrypt"] },
      "the key keyVaultKeyId names does not permit sign (its key_ops): a certificate's key made by Key Vault permits it; check the key's operations",
    ],
    ["a disabled key", { enabled: false }, "the key keyVaultKeyId names is disabled in the vault: enable it"],
    [
      "an expired key",
      { expiresOn: new Date(Date.UTC(2026, 0, 2)) },
      "the vault key expired on 2026-01-02T00:00:00.000Z: rotate the certificate",
    ],
    [
      "a key not yet valid",
      { notBefore: new Date(Date.UTC(2099, 0, 2)) },
      "the vault key is not usable until 2099-01-02T00:00:00.000Z: wait, or check the clock",
    ],
  ])("says what is wrong with %s", (_what, extra, detail) => {
    const checks = vaultKeyChecks(vaultKey(cert, extra), new X509Certificate(cert.certificatePem), names, now);
    expect(checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([detail]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an EC key", { kty: "EC", publicKey: undefined }, "vault key type"],
    ["a key type of odd shape", { kty: "<script>", publicKey: undefined }, "vault key type"],
    ["a key that may not sign", { keyOps: ["encrypt", "decrypt"] }, "vault key operations"],
    ["a disabled key", { enabled: false }, "vault key enabled"],
    ["an expired key", { expiresOn: new Date(now.getTime() - 1000) }, "vault key validity"],
    ["a key not yet valid", { notBefore: new Date(now.getTime() + 60_000) }, "vault key validity"],
  ])("fails %s", (_what, extra, check) => {
    const checks = vaultKeyChecks(vaultKey(cert, extra), new X509Certificate(cert.certificatePem), names, now);
    const failed = checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual([check]);
    expect(failed[0]?.detail).not.toContain("<script>");
  });
});

describe("what a vault failure means", () => {
  const id = keyId;
  const rest = (statusCode: number | undefined, code: string, headers: Record<string, string> = {}) =>
    Object.assign(new Error("a message that is never quoted"), {
      name: "RestError",
      statusCode,
      code,
      response: { headers: { get: (n: string) => headers[n] } },
    });
  const named = (name: string, message = "") => Object.assign(new Error(message), { name });

  it.each<
    [string, unknown, "read" | "sign", { kind: string; transient: boolean; reason: string; retryAfterMs?: number }]
  >([
    [
      "403 on sign",
      rest(403, "Forbidden"),
      "sign",
      {
        kind: "forbidden",
        transient: false,
        reason: `the identity may not sign with ${id} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
      },
    ],
    [
      "403 on get",
      rest(403, "Forbidden"),
      "read",
      {
        kind: "forbidden",
        transient: false,
        reason: `the identity may not read ${id} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/read and Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
      },
    ],
    [
      "401 after a fresh token",
      rest(401, "Unauthorized"),
      "sign",
      {
        kind: "unauthorized",
        transient: false,
        reason: expect.stringMatching(/^Key Vault refused the signing identity's token for https:/),
      },
    ],
    [
      "404",
      rest(404, "KeyNotFound"),
      "read",
      {
        kind: "not-found",
        transient: false,
        reason: `Key Vault has no key ${id} (404 KeyNotFound): check keyVaultKeyId (a deleted key, or another vault)`,
      },
    ],
    [
      "429 with Retry-After",
      rest(429, "Throttled", { "retry-after": "7" }),
      "sign",
      { kind: "transient", transient: true, reason: "Key Vault answered HTTP 429", retryAfterMs: 7000 },
    ],
    [
      "503",
      rest(503, "ServiceUnavailable"),
      "read",
      { kind: "transient", transient: true, reason: "Key Vault answered HTTP 503", retryAfterMs: 0 },
    ],
    [
      "a refused connection",
      rest(undefined, "ECONNREFUSED"),
      "read",
      { kind: "transient", transient: true, reason: "network error reaching Key Vault (ECONNREFUSED)" },
    ],
    [
      "no answer in time",
      named("AbortError"),
      "sign",
      { kind: "transient", transient: true, reason: "no answer from Key Vault in time" },
    ],
    [
      "an untrusted TLS certificate",
      rest(undefined, "SELF_SIGNED_CERT_IN_CHAIN"),
      "read",
      {
        kind: "untrusted",
        transient: false,
        reason: expect.stringMatching(
          /^Key Vault's TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\): pass the CA/,
        ),
      },
    ],
    [
      "no identity in DefaultAzureCredential's chain",
      named("AggregateAuthenticationError", "ChainedTokenCredential authentication failed. secret-ish detail"),
      "read",
      {
        kind: "credential",
        transient: false,
        reason: expect.stringMatching(
          /^cannot get a Key Vault token for the signing identity \(AggregateAuthenticationError\): /,
        ),
      },
    ],
    [
      "a credential the authority refused",
      named("AuthenticationError", "AADSTS700027: Client assertion failed signature validation."),
      "read",
      {
        kind: "credential",
        transient: false,
        reason: expect.stringMatching(
          /^cannot get a Key Vault token for the signing identity \(AuthenticationError, AADSTS700027\)/,
        ),
      },
    ],
    [
      "anything else",
      named("TypeError", "Operation sign is not supported"),
      "sign",
      { kind: "other", transient: false, reason: "Key Vault sign failed (TypeError)" },
    ],
    [
      "an error whose name is not a name",
      named("Bearer eyJhbGciOiJSUzI1NiJ9.secret-ish", "a message that is never quoted"),
      "read",
      { kind: "other", transient: false, reason: "Key Vault get key failed (Error)" },
    ],
  ])("%s", (_what, err, action, expected) => {
    const failure = classifyVaultFailure(err, id, action);
    expect(failure).toEqual(expected);
    expect(failure.reason).not.toContain("never quoted");
    expect(failure.reason).not.toContain("secret-ish");
  });
});

describe("Azure SDK options for a vault and an authority that may be local", () => {
  it("turns challenge-resource verification off only for a loopback vault", () => {
    expect(isAzureVaultHost("https://my-vault.vault.azure.net")).toBe(true);
    expect(isAzureVaultHost("https://my-vault.vault.usgovcloudapi.net/")).toBe(true);
    expect(isAzureVaultHost("https://my-hsm.managedhsm.azure.net")).toBe(true);
    expect(isAzureVaultHost("https://localhost:8443")).toBe(false);
    expect(isAzureVaultHost("https://vault.azure.net.example.com")).toBe(false);
    expect(vaultClientOptions("https://localhost:8443").disableChallengeResourceVerification).toBe(true);
    expect(vaultClientOptions("https://127.0.0.1:8443").disableChallengeResourceVerification).toBe(true);
    // A host that is neither: the SDK's check stays on, so it cannot point the identity's token at another resource.
    expect(vaultClientOptions("https://vault.azure.net.example.com").disableChallengeResourceVerification).toBe(false);
    expect(vaultClientOptions("https://10.0.0.5").disableChallengeResourceVerification).toBe(false);
    expect(vaultClientOptions("https://v.vault.azure.net", { maxRetries: 0 })).toMatchObject({
      disableChallengeResourceVerification: false,
      retryOptions: { maxRetries: 0 },
      additionalPolicies: [],
    });
  });

  it("gives the credential the authority host, and skips instance discovery only for a host that is not Microsoft's", () => {
    expect(identityOptions("https://login.microsoftonline.us")).toEqual({
      authorityHost: "https://login.microsoftonline.us",
      additionalPolicies: [],
    });
    const local = identityOptions("https://localhost:9443", { ca: "-----BEGIN CERTIFICATE-----" });
    expect(local).toMatchObject({ authorityHost: "https://localhost:9443", disableInstanceDiscovery: true });
    expect(local.additionalPolicies.map((p) => [p.policy.name, p.position])).toEqual([["trustCaPolicy", "perCall"]]);
  });

  it("sets every request's agent to one that trusts the CA", async () => {
    const [config] = vaultClientOptions("https://localhost:1", { ca: "ca text" }).additionalPolicies;
    const request: { agent?: unknown } = {};
    const answer = await config?.policy.sendRequest(request, async (r) => r.agent);
    expect(answer).toBeDefined();
    expect((answer as { options: { ca?: string } }).options.ca).toBe("ca text");
  });
});
