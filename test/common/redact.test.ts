import { describe, expect, it } from "vitest";
import { liveRedactor, redact, redactor } from "../../common/redact";
import { sharedCertificate } from "../support/certificates";
import { expectHolds } from "../support/secrets";

describe("what is printed is redacted: verify's reports, the engine's diagnostics, the rehearsal's lines", () => {
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

  // A base64 text of 100 characters, one line, as a PFX or password may be: windows at 0, 20, 40 and 60.
  const b64 = Buffer.from(Array.from({ length: 75 }, (_, i) => (i * 53 + 7) % 256)).toString("base64");
  const withheld = "[withheld: this line held part of a secret]";
  /** Whether the redactor turned `line` into exactly `expected`, as a labelled boolean (never the text itself). */
  const turns = (redact: (l: string) => string, line: string, expected: string, label: string) =>
    expect(redact(line) === expected, label).toBe(true);

  it("replaces a password of 4 characters or more wherever it appears, even one too short for any other rule", () => {
    const redact = redactor();
    redact.add("s3cr3t!!");
    turns(redact, "login with s3cr3t!! now", "login with [redacted] now", "an 8-character password was replaced");
    redact.add("abcd");
    turns(redact, "four abcd", "four [redacted]", "a 4-character password was replaced");
    redact.add("xyz");
    turns(redact, "three xyz", "three xyz", "a 3-character value is too short to be a secret");
  });

  it("replaces a PEM body line of 16 characters on its own", () => {
    const redact = redactor();
    const tail = "QUJDREVGR0hJSktM";
    expect(tail).toHaveLength(16);
    redact.add(`-----BEGIN PRIVATE KEY-----\n${body}\n${tail}\n-----END PRIVATE KEY-----\n`);
    turns(redact, `tail: ${tail}`, "tail: [redacted]", "the 16-character line was replaced");
  });

  it("replaces a whole base64 secret as one, leaving nothing of it, also after a shorter secret inside it was added", () => {
    expect(b64).toHaveLength(100);
    const redact = redactor();
    // Known first: a piece of the later secret. Replaced first, it would break the longer matches apart.
    redact.add(b64.slice(30, 50));
    redact.add(b64);
    turns(redact, `pfx ${b64} end`, "pfx [redacted] end", "the whole secret was replaced as one");
  });

  it("replaces the last 40-character window, which ends at the body's last character", () => {
    const redact = redactor();
    redact.add(b64);
    turns(redact, `end: ${b64.slice(60)}`, "end: [redacted]", "the window at 60 was replaced in place");
  });

  it("takes a body of exactly 40 characters over two lines as one window", () => {
    const redact = redactor();
    redact.add(`-----BEGIN PRIVATE KEY-----\n${b64.slice(0, 20)}\n${b64.slice(20, 40)}\n-----END PRIVATE KEY-----\n`);
    turns(redact, `joined ${b64.slice(0, 40)}`, "joined [redacted]", "the 40-character body was replaced in place");
  });

  it("gives a secret that is no base64 text no windows: a part of it printed withholds the line", () => {
    const redact = redactor();
    const passphrase = "correct horse battery staple and then some more words";
    redact.add(passphrase);
    turns(redact, `said ${passphrase.slice(0, 40)}`, withheld, "a window of a passphrase was replaced in place");
    turns(redact, `said ${passphrase}`, "said [redacted]", "the whole passphrase was replaced");
  });

  it("withholds a line holding the last 24 characters of a secret", () => {
    const redact = redactor();
    redact.add(b64);
    turns(redact, `x ${b64.slice(76)}`, withheld, "the secret's last run was found");
  });

  it("withholds a line holding a run of a secret split by spaces or across the key's line breaks", () => {
    const redact = redactor();
    redact.add(key);
    const run = body.slice(30, 54);
    turns(redact, `spaced ${run.slice(0, 12)} ${run.slice(12)}`, withheld, "a run split by a space was found");
    // The end of the first body line and the start of the second, printed as one piece: 12 + 12 characters.
    turns(redact, `joined ${body.slice(-12)}MIIEvQIBADAN`, withheld, "a run across two lines was found");
    turns(redact, `part ${body.slice(2, 32)}`, withheld, "30 characters of a PEM key's body were found");
  });

  it("replaces RSA and encrypted PEM private keys by shape, and nothing after their END line", () => {
    const redact = redactor();
    for (const kind of ["RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY"]) {
      turns(
        redact,
        `a -----BEGIN ${kind}-----\nabc\n-----END ${kind}----- then more`,
        "a [redacted private key] then more",
        `a ${kind} was replaced up to its END line`,
      );
    }
  });

  it("treats PEM armour lines as no secret: a certificate's BEGIN line is printed after a client.pem was added", () => {
    const redact = redactor();
    redact.add(`-----BEGIN CERTIFICATE-----\n${b64.slice(0, 64)}\n-----END CERTIFICATE-----\n${key}`);
    turns(redact, "-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----", "the BEGIN line was kept");
  });

  it("ignores empty and short values rather than redacting every letter", () => {
    const redact = redactor();
    redact.add("");
    redact.add("abc");
    redact.add(undefined);
    expect(redact("abc stays")).toBe("abc stays");
  });

  it("replaces every body line of a real PEM key, so a fragment a library slipped into a message is caught", async () => {
    const { privateKeyPem } = await sharedCertificate();
    const line = privateKeyPem.split("\n")[3] ?? "";
    turns(
      redactor([privateKeyPem]),
      `progress: odd answer ${line} from the server`,
      "progress: odd answer [redacted] from the server",
      "a body line of the key was replaced in place",
    );
  });

  it("finds the lines of a PEM written with CRLF line ends", async () => {
    const { privateKeyPem } = await sharedCertificate();
    const crlf = privateKeyPem.replaceAll("\n", "\r\n");
    const line = privateKeyPem.split("\n")[3] ?? "";
    turns(redactor([crlf]), `odd answer ${line} here`, "odd answer [redacted] here", "the line was replaced");
  });

  it("finds a line of a secret pasted with indentation, as a key in a YAML block is", () => {
    const line = "QUJDREVGR0hJSktMTU5PUA";
    const redact = redactor([`-----BEGIN PRIVATE KEY-----\n    ${line}\n    QUJD\n-----END PRIVATE KEY-----`]);
    turns(redact, `key ${line} end`, "key [redacted] end", "the indented line was found without its indentation");
  });

  it("never treats a PEM's armour or its lines under 16 characters as secrets", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nABCDEFGHIJKLMNOP\nABCDEFGHIJKLMNO\n-----END CERTIFICATE-----";
    const redact = redactor([pem]);
    expect(redact("-----BEGIN CERTIFICATE----- ABCDEFGHIJKLMNO")).toBe("-----BEGIN CERTIFICATE----- ABCDEFGHIJKLMNO");
    expect(redact("x ABCDEFGHIJKLMNOP")).toBe("x [redacted]");
  });

  it("redacts a one-off text by the secrets given and by shape, and leaves a text without either as it was", () => {
    expect(redact("password hunter22 here", ["hunter22"])).toBe("password [redacted] here");
    expect(redact("a b c", ["b"])).toBe("a b c");
    expect(redact("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end", [])).toBe(
      "token [redacted token] end",
    );
    expect(redact("nothing secret here", [])).toBe("nothing secret here");
  });

  it("says what the caller asks for a known secret: the engine's [secret], as the Pulumi CLI says it", () => {
    const pem = "-----BEGIN KEY-----\nAAAABBBBCCCCDDDDEEEEFFFF\n-----END KEY-----";
    const redact = redactor(["hunter22", pem], { placeholder: "[secret]" });
    expect(redact("pw hunter22 and line AAAABBBBCCCCDDDDEEEEFFFF")).toBe("pw [secret] and line [secret]");
  });

  it("learns the secrets of a run as it goes, before each text, once each", () => {
    const known: unknown[] = ["hunter22"];
    let asked = 0;
    const redact = liveRedactor(() => {
      asked++;
      return known;
    });
    expect(redact("pw hunter22, pin 123456")).toBe("pw [redacted], pin 123456");
    known.push("123456", 42);
    expect(redact("pw hunter22, pin 123456")).toBe("pw [redacted], pin [redacted]");
    known.push("123456");
    expect(redact("again hunter22 123456")).toBe("again [redacted] [redacted]");
    expect(asked).toBe(3);
  });
});
