import { X509Certificate } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader, importX509 } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { x5t } from "../../common/thumbprint";
import { acquire } from "../../verify/acquire";
import { type AssertionAlgorithm, SignatureMismatchError, signedAssertion } from "../../verify/assertion";
import { AuthenticationError } from "../../verify/errors";
import { fromStackOutputs } from "../../verify/inputs";
import { parseOptions } from "../../verify/options";
import { preflight } from "../../verify/preflight";
import { classifyVaultFailure, VaultCallError } from "../../verify/vaultFailure";
import { makeCertificate, type TestCertificate } from "../support/certificates";
import { stopAndRemove } from "../support/cli";
import { skippingClock } from "../support/clock";
import { localDigestSigner } from "../support/digestSigner";
import { type RegisteredClient, registerClient, startEntra, tokenEndpoint } from "../support/entra";
import { vaultStackOutputsFor } from "../support/outputs";
import { expectNoSecrets } from "../support/secrets";

const keyId = `https://localhost:8443/keys/client-cert/${"0123456789abcdef".repeat(2)}`;
const clientId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const audience = "https://login.example.test/tenant/oauth2/v2.0/token";

/** A RestError as @azure/keyvault-keys throws it for an HTTP status (core-rest-pipeline's shape). */
const restError = (statusCode: number, code: string) =>
  Object.assign(new Error("the service's own message"), { name: "RestError", statusCode, code });

describe("the client assertion verify builds for Key Vault to sign", () => {
  let cert: TestCertificate;
  let other: TestCertificate;
  beforeAll(async () => {
    cert = await makeCertificate();
    other = await makeCertificate();
  });

  it.each<["sha256" | "sha1", AssertionAlgorithm, string]>([
    ["sha256", "PS256", "x5t#S256"],
    ["sha1", "RS256", "x5t"],
  ])(
    "--thumbprint %s: %s with %s, signed over the SHA-256 digest only, and verifiable with the certificate",
    async (thumbprint, alg, header) => {
      const x509 = new X509Certificate(cert.certificatePem);
      const calls: AssertionAlgorithm[] = [];
      const now = Date.UTC(2026, 0, 1, 12);
      const jwt = await signedAssertion(
        { clientId, audience, certificate: x509, thumbprint, now, jti: "jti-1" },
        localDigestSigner(cert.key, calls),
      );
      expect(calls).toEqual([alg]);
      expect(decodeProtectedHeader(jwt)).toEqual({
        alg,
        typ: "JWT",
        [header]: x5t(x509, thumbprint),
      });
      const s = now / 1000;
      expect(decodeJwt(jwt)).toEqual({
        aud: audience,
        iss: clientId,
        sub: clientId,
        jti: "jti-1",
        nbf: s,
        iat: s,
        exp: s + 600,
      });
      const { protectedHeader } = await compactVerify(jwt, await importX509(cert.certificatePem, alg));
      expect(protectedHeader.alg).toBe(alg);
    },
  );

  it("gives every assertion its own jti", async () => {
    const req = {
      clientId,
      audience,
      certificate: new X509Certificate(cert.certificatePem),
      thumbprint: "sha256" as const,
      now: Date.now(),
    };
    const [a, b] = await Promise.all([1, 2].map(() => signedAssertion(req, localDigestSigner(cert.key))));
    expect(decodeJwt(a ?? "").jti).not.toBe(decodeJwt(b ?? "").jti);
  });

  it("refuses a signature that the certificate's key does not verify, before the authority sees it", async () => {
    const req = { clientId, audience, certificate: new X509Certificate(cert.certificatePem), now: Date.now() };
    for (const thumbprint of ["sha256", "sha1"] as const)
      await expect(signedAssertion({ ...req, thumbprint }, localDigestSigner(other.key))).rejects.toBeInstanceOf(
        SignatureMismatchError,
      );
    const failure = classifyVaultFailure(new SignatureMismatchError(), keyId, "sign");
    expect(failure).toMatchObject({ kind: "signature", transient: false });
    expect(failure.reason).toBe(
      `Key Vault's signature with ${keyId} does not verify with the certificate's public key: keyVaultKeyId and certificatePem must come from one deployment`,
    );
  });
});

describe("acquire with a signer in place of the key: real msal-node against the local Entra ID", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  let client: RegisteredClient;
  beforeAll(async () => {
    entra = await startEntra();
    client = await registerClient(entra, { grant: ["Data.Read"] });
  });
  afterAll(() => stopAndRemove(entra));

  function vaultInputs() {
    const inputs = fromStackOutputs(vaultStackOutputsFor(entra, client, keyId), parseOptions([]));
    inputs.caPem = entra.caPem;
    return inputs;
  }

  async function acquireWith(thumbprint: "sha256" | "sha1", sign: ReturnType<typeof localDigestSigner>) {
    const inputs = vaultInputs();
    const pre = preflight(inputs, 0);
    pre.signer = sign;
    const secrets: string[] = [];
    const clock = skippingClock();
    const attempts: Parameters<typeof acquire>[0]["attempts"] = [];
    const result = acquire({
      inputs,
      preflight: pre,
      thumbprint,
      deadline: clock.now() + 20_000,
      missingRoles: () => [],
      onWait: () => undefined,
      backoff: { baseMs: 50, capMs: 100 },
      clock,
      attempts,
      onSecret: (s) => secrets.push(s),
    });
    return { result, secrets, attempts, inputs, pre };
  }

  it.each<["sha256" | "sha1", AssertionAlgorithm]>([
    ["sha256", "PS256"],
    ["sha1", "RS256"],
  ])(
    "gets a certificate token with an assertion signed through the signer (%s: %s), its audience the token endpoint msal-node posts to",
    async (thumbprint, alg) => {
      const calls: AssertionAlgorithm[] = [];
      const { result, secrets, inputs, pre } = await acquireWith(thumbprint, localDigestSigner(client.cert.key, calls));
      const { accessToken } = await result;
      expect(inputs.privateKeyPem).toBeUndefined();
      expect(pre.key).toBeUndefined();
      expect(decodeJwt(accessToken)).toMatchObject({ azp: client.clientId, azpacr: "2", roles: ["Data.Read"] });
      expect(calls).toEqual([alg]);
      expect(secrets).toHaveLength(1);
      expect(decodeJwt(secrets[0] ?? "").aud).toBe(tokenEndpoint(entra));
      expect(decodeProtectedHeader(secrets[0] ?? "").alg).toBe(alg);
    },
  );

  it("stops at the first attempt, exit 4, with the permission to grant, when the vault answers 403 to sign", async () => {
    let calls = 0;
    const forbidden = async (): Promise<Uint8Array> => {
      calls++;
      throw new VaultCallError(classifyVaultFailure(restError(403, "Forbidden"), keyId, "sign"));
    };
    const { result, attempts } = await acquireWith("sha256", forbidden);
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).exitCode).toBe(4);
    expect((err as Error).message).toBe(
      `the identity may not sign with ${keyId} (Key Vault answered 403 Forbidden): grant it the Key Vault Crypto User role (Microsoft.KeyVault/vaults/keys/sign/action), or the keys get and sign access-policy permissions`,
    );
    expect(calls).toBe(1);
    expect(attempts.map((a) => a.outcome)).toEqual(["failed"]);
  });

  it("retries a vault that answered 503 to sign, as it retries the authority, and then gets the token", async () => {
    const good = localDigestSigner(client.cert.key);
    let calls = 0;
    const flaky = async (alg: AssertionAlgorithm, digest: Uint8Array) => {
      if (++calls === 1)
        throw new VaultCallError(classifyVaultFailure(restError(503, "ServiceUnavailable"), keyId, "sign"));
      return good(alg, digest);
    };
    const { result, attempts, secrets } = await acquireWith("sha256", flaky);
    const { accessToken } = await result;
    expect(attempts.map((a) => [a.outcome, a.reason])).toEqual([
      ["retry", "Key Vault answered HTTP 503"],
      ["token", "token issued"],
    ]);
    expectNoSecrets(JSON.stringify(attempts));
    expect(secrets).toHaveLength(1);
    expect(accessToken).toMatch(/^eyJ/);
  });

  it("retries a network error reaching the vault, signing again on the next attempt", async () => {
    const good = localDigestSigner(client.cert.key);
    let calls = 0;
    const flaky = async (alg: AssertionAlgorithm, digest: Uint8Array) => {
      if (++calls === 1) throw Object.assign(new Error("socket hang up"), { name: "RestError", code: "ECONNRESET" });
      return good(alg, digest);
    };
    const { result, attempts } = await acquireWith("sha1", flaky);
    await result;
    expect(attempts[0]?.reason).toBe("network error reaching Key Vault (ECONNRESET)");
    expect(calls).toBe(2);
  });
});
