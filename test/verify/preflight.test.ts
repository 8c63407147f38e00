import { beforeAll, describe, expect, it } from "vitest";
import { thumbprints } from "../../common/thumbprint";
import { InputError, PreflightError } from "../../verify/errors";
import type { ClientInputs } from "../../verify/inputs";
import { preflight } from "../../verify/preflight";
import { makeCertificate, type TestCertificate } from "../support/certificates";
import { expectHolds } from "../support/secrets";

const notBefore = new Date("2026-01-01T00:00:00Z");
const notAfter = new Date("2026-12-31T00:00:00Z");
const day = 86_400_000;
const inputsOf = (cert: TestCertificate, over: Partial<ClientInputs> = {}): ClientInputs => ({
  source: "outputs",
  tenantId: "11111111-2222-4333-8444-555555555555",
  clientId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
  authorityHost: "https://login.example.test",
  scope: "api://orders/.default",
  expectedRoles: [],
  certificatePem: cert.certificatePem,
  privateKeyPem: cert.privateKeyPem,
  ...over,
});

/** The error preflight throws, asserted to be of its type; its message is checked as a labelled boolean. */
function refusal(inputs: ClientInputs, now: Date, type: typeof InputError | typeof PreflightError) {
  try {
    preflight(inputs, 30, now);
  } catch (err) {
    expect(err, "the error's type").toBeInstanceOf(type);
    return (err as Error).message;
  }
  throw new Error("preflight passed");
}

describe("preflight: the certificate and key checked before any network call", () => {
  let cert: TestCertificate;
  let other: TestCertificate;
  beforeAll(async () => {
    cert = await makeCertificate({ notBefore, notAfter });
    other = await makeCertificate({ notBefore, notAfter });
  });
  const mid = new Date("2026-06-01T00:00:00Z");

  it("passes a matching RSA pair in its validity period, naming every check, with the thumbprints it computed", () => {
    const t = thumbprints(cert.certificatePem);
    const result = preflight(inputsOf(cert, { thumbprint: t.sha1, thumbprintSha256: t.sha256 }), 30, mid);
    expect(result.checks).toEqual([
      { name: "key type", ok: true, detail: "RSA 2048 bits" },
      { name: "key matches certificate", ok: true, detail: "the private key is the certificate's" },
      { name: "certificate validity", ok: true, detail: "valid until 2026-12-31T00:00:00.000Z" },
      { name: "thumbprint (SHA-1)", ok: true, detail: t.sha1 },
      { name: "thumbprint (SHA-256)", ok: true, detail: t.sha256 },
    ]);
    expect(result.thumbprint).toEqual(t);
    expect(result.warnings).toEqual([]);
    expect(result.key?.asymmetricKeyType).toBe("rsa");
    expect(new Date(result.certificate.validTo)).toEqual(notAfter);
  });

  it("checks no thumbprint the outputs do not declare", () => {
    expect(preflight(inputsOf(cert), 30, mid).checks.map((c) => c.name)).toEqual([
      "key type",
      "key matches certificate",
      "certificate validity",
    ]);
  });

  it("refuses a key that does not parse, quoting nothing of it", () => {
    const lines = cert.privateKeyPem.split("\n");
    const broken = [...lines.slice(0, 5), ...lines.slice(6)].join("\n");
    const message = refusal(inputsOf(cert, { privateKeyPem: broken }), mid, InputError);
    for (const line of lines.filter((l) => l.length > 16 && !l.startsWith("-----")))
      expectHolds(message, line.slice(0, 16), "the message quotes the key", false);
    expect(message).toBe("privateKeyPem is not an unencrypted PEM private key (PKCS#1 or PKCS#8)");
  });

  it("refuses a key that is not RSA, naming its type", async () => {
    const ec = await makeCertificate({ keyType: "ec", notBefore, notAfter });
    expect(refusal(inputsOf(ec), mid, PreflightError)).toBe(
      "key type: the key is ec: Entra ID accepts only RSA certificate credentials; issue an RSA certificate",
    );
  });

  it("refuses a certificate that does not parse", () => {
    expect(refusal(inputsOf(cert, { certificatePem: "hello" }), mid, InputError)).toBe(
      "certificatePem is not a PEM certificate",
    );
  });

  it("refuses a key that belongs to another certificate", () => {
    expect(refusal(inputsOf(cert, { privateKeyPem: other.privateKeyPem }), mid, PreflightError)).toBe(
      "key matches certificate: privateKeyPem does not belong to certificatePem: use the key that was issued with this certificate",
    );
  });

  it("counts a certificate valid from its first second and expired from its last", () => {
    expect(preflight(inputsOf(cert), 0, notBefore).checks[2]?.ok).toBe(true);
    expect(refusal(inputsOf(cert), new Date(notBefore.getTime() - 1000), PreflightError)).toBe(
      "certificate validity: not valid until 2026-01-01T00:00:00.000Z: wait, or check this machine's clock",
    );
    expect(preflight(inputsOf(cert), 0, new Date(notAfter.getTime() - 1000)).checks[2]?.ok).toBe(true);
    expect(refusal(inputsOf(cert), notAfter, PreflightError)).toBe(
      "certificate validity: expired on 2026-12-31T00:00:00.000Z: rotate it (pulumi config set rotation <new value> && pulumi up)",
    );
  });

  it("refuses a declared thumbprint that is not the certificate's, SHA-1 or SHA-256, quoting both", () => {
    const t = thumbprints(cert.certificatePem);
    const wrong1 = "AB".repeat(20);
    expect(refusal(inputsOf(cert, { thumbprint: wrong1, thumbprintSha256: t.sha256 }), mid, PreflightError)).toBe(
      `thumbprint (SHA-1): declared ${wrong1} but the certificate's is ${t.sha1}: the outputs mix two certificates; take all of them from one deployment`,
    );
    const wrong256 = "CD".repeat(32);
    expect(refusal(inputsOf(cert, { thumbprint: t.sha1, thumbprintSha256: wrong256 }), mid, PreflightError)).toMatch(
      new RegExp(`^thumbprint \\(SHA-256\\): declared ${wrong256} but the certificate's is ${t.sha256}:`),
    );
  });

  it("warns from warnDays before expiry, counting whole days left", () => {
    const inputs = inputsOf(cert);
    expect(preflight(inputs, 10, new Date(notAfter.getTime() - 10 * day)).warnings).toEqual([
      "the certificate expires in 10 days (2026-12-31T00:00:00.000Z): rotate it soon",
    ]);
    expect(preflight(inputs, 10, new Date(notAfter.getTime() - 10 * day - 1000)).warnings).toEqual([]);
    expect(preflight(inputs, 10, new Date(notAfter.getTime() - 1.5 * day)).warnings[0]).toMatch(
      /^the certificate expires in 1 days/,
    );
  });
});
