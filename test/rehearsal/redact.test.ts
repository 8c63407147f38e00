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
    // The window body[20, 60) is replaced where it stands and the line is kept: only the window rule does that (the
    // 24-character-run rule would withhold the whole line, which a check for the piece's absence cannot tell apart).
    expect(
      redact(`a piece ${body.slice(7, 60)} and then the program's own words`) ===
        `a piece ${body.slice(7, 20)}[redacted] and then the program's own words`,
      "the 40-character window was replaced in place",
    ).toBe(true);
  });

  it("finds windows every 20 characters along the body, also across the key's line breaks", () => {
    const redact = redactor();
    redact.add(key);
    const joined = key
      .split("\n")
      .filter((l) => !l.startsWith("-----"))
      .join("");
    expect(joined).toHaveLength(119);
    for (const start of [0, 20, 40, 60]) {
      const printed = redact(`piece at ${start}: ${joined.slice(start, start + 40)}.`);
      expect(printed === `piece at ${start}: [redacted].`, `the window at ${start} was replaced in place`).toBe(true);
    }
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

  it("replaces every JWT on a line, not only the first", () => {
    const redact = redactor();
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(redact(`old ${token} new ${token.replace("x", "y")} end`)).toBe(
      "old [redacted token] new [redacted token] end",
    );
  });

  it("replaces every PEM private key in a text, and a key cut off before its END line", () => {
    const redact = redactor();
    const printed = redact(`first ${key} second ${key}`);
    expectHolds(printed, "PRIVATE KEY", "a second key in the same text survived", false);
    expect(printed).toBe("first [redacted private key]\n second [redacted private key]\n");
    const truncated = key.slice(0, key.indexOf("-----END"));
    const cut = redact(`a log cut short: ${truncated}`);
    expectHolds(cut, body, "a key with no END line survived", false);
    expect(cut).toBe("a log cut short: [redacted private key]");
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
