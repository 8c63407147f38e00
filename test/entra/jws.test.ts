import { createPublicKey, createSecretKey, verify } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { signJwt, verifyJws } from "../../entra/jws";
import { makeCertificate, type TestCertificate } from "../support/certificates";

describe("compact JWS, signed and verified on libuv's thread pool", () => {
  let signer: TestCertificate;
  let other: TestCertificate;
  beforeAll(async () => {
    signer = await makeCertificate();
    other = await makeCertificate();
  });

  it("signs RS256 (PKCS#1 v1.5) over header.payload, and verifies it back to the payload bytes", async () => {
    const token = await signJwt({ alg: "RS256", typ: "JWT" }, { sub: "x" }, signer.key);
    const [header, payload, signature] = token.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" });
    // PKCS#1 v1.5 signatures are deterministic: node's own RS256 over the same input gives the same bytes.
    const ok = verify(
      "sha256",
      Buffer.from(`${header}.${payload}`),
      createPublicKey(signer.key),
      Buffer.from(signature ?? "", "base64url"),
    );
    expect(ok).toBe(true);
    expect((await verifyJws(token, "RS256", createPublicKey(signer.key))).toString()).toBe('{"sub":"x"}');
  });

  it("refuses a signature from another key with a signature mismatch", async () => {
    const token = await signJwt({ alg: "RS256" }, { sub: "x" }, other.key);
    await expect(verifyJws(token, "RS256", createPublicKey(signer.key))).rejects.toThrow("signature mismatch");
  });

  it("refuses an RS256 signature checked as PS256", async () => {
    const token = await signJwt({ alg: "RS256" }, { sub: "x" }, signer.key);
    await expect(verifyJws(token, "PS256", createPublicKey(signer.key))).rejects.toThrow();
  });

  it.each([
    ["four parts", (t: string) => `${t}.x`],
    ["two parts", (t: string) => t.split(".").slice(0, 2).join(".")],
    ["one part", (t: string) => t.split(".")[0] ?? ""],
  ])("refuses a token of %s as no compact JWS", async (_what, cut) => {
    const token = await signJwt({ alg: "RS256" }, { sub: "x" }, signer.key);
    await expect(verifyJws(cut(token), "RS256", createPublicKey(signer.key))).rejects.toThrow("not a compact JWS");
  });

  it("rejects rather than throws when the key cannot verify at all", async () => {
    const token = await signJwt({ alg: "RS256" }, { sub: "x" }, signer.key);
    // A private key where a public key is expected still verifies in node; a symmetric key throws synchronously.
    await expect(verifyJws(token, "RS256", createSecretKey(Buffer.alloc(32)))).rejects.toThrow();
  });
});
