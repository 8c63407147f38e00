import { describe, expect, it } from "vitest";
import { redactor } from "../../rehearsal/redact";
import { expectHolds } from "../support/secrets";

describe("what the rehearsal prints is scrubbed", () => {
  const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
  const key = `-----BEGIN PRIVATE KEY-----\n${body}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCzzzz\n-----END PRIVATE KEY-----\n`;

  it("replaces a known secret whole, by its lines, and by 40-character windows of its body", () => {
    const redact = redactor();
    redact.add(key);
    expectHolds(redact(`whole ${key}`), body, "the whole key survived redaction", false);
    expect(redact(`a line ${body}`)).toBe("a line [redacted]");
    expectHolds(
      redact(`a piece ${body.slice(7, 60)}`),
      body.slice(20, 60),
      "a piece of the key survived redaction",
      false,
    );
  });

  it("withholds a line holding a piece of a secret too short for the windows: a body printed 32 characters a line", () => {
    const redact = redactor();
    const pfx = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString("base64");
    redact.add(pfx);
    for (const piece of pfx.match(/.{1,32}/g) ?? []) {
      if (piece.length < 24) continue;
      expect(redact(`info: ${piece}`)).toBe("[withheld: this line held part of a secret]");
    }
    expect(redact("info: a line of the program's own, nothing secret in it")).toBe(
      "info: a line of the program's own, nothing secret in it",
    );
  });

  it("replaces JWTs and PEM private keys by shape, known or not", () => {
    const redact = redactor();
    expect(redact("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end")).toBe("token [redacted token] end");
    expect(redact(key)).toBe("[redacted private key]\n");
  });

  it("ignores empty and short values rather than redacting every letter", () => {
    const redact = redactor();
    redact.add("");
    redact.add("abc");
    redact.add(undefined);
    expect(redact("abc stays")).toBe("abc stays");
  });
});
