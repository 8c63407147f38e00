import { describe, expect, it } from "vitest";
import {
  isGuid,
  isQuotableFlag,
  isQuotablePath,
  isSafeToQuote,
  isSafeUrl,
  isThumbprintHex,
  looksLikeContent,
  oneLine,
  quoted,
  quotedPath,
} from "../../common/safe";

const guid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const sha1 = "0123456789ABCDEF0123456789abcdef01234567";
const sha256 = `${sha1}0123456789abcdef01234567`;

describe("what a message may quote", () => {
  it("quotes a short path of path characters, and nothing that may be a file's content or a password", () => {
    expect(quotedPath("/tmp/run/outputs.json")).toBe(" /tmp/run/outputs.json");
    expect(isQuotablePath("./client.pfx")).toBe(true);
    expect(isQuotablePath("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----")).toBe(false);
    expect(isQuotablePath('{"privateKeyPem":"x"}')).toBe(false);
    expect(isQuotablePath("S3cretPassw0rd")).toBe(false);
    expect(isQuotablePath("p@ss word.pfx")).toBe(false);
    expect(isQuotablePath(`/tmp/${"a".repeat(300)}.pem`)).toBe(false);
    expect(isQuotablePath(undefined)).toBe(false);
  });

  it("tells a pasted file's content from a path", () => {
    expect(looksLikeContent("-----BEGIN CERTIFICATE-----")).toBe(true);
    expect(looksLikeContent(' {"tenantId": 1}')).toBe(true);
    expect(looksLikeContent("a\nb")).toBe(true);
    expect(looksLikeContent("/tmp/x.json")).toBe(false);
  });

  it("quotes only short lowercase flag names", () => {
    expect(isQuotableFlag("--ca-file")).toBe(true);
    expect(isQuotableFlag("-h")).toBe(true);
    expect(isQuotableFlag("--S3cret")).toBe(false);
    expect(isQuotableFlag(`--${"a".repeat(40)}`)).toBe(false);
  });

  it("joins a message's lines, each run of breaks and the spaces around it into one space", () => {
    expect(oneLine("a\n  b\r\nc")).toBe("a b c");
    expect(oneLine("a\n\n\nb")).toBe("a b");
  });

  it("quotes a GUID, a 40 or 64 hex digit thumbprint, and an https URL without credentials, query or fragment", () => {
    for (const value of [guid, guid.toUpperCase(), sha1, sha256, "https://login.example.test/t"])
      expect(quoted(value), value).toBe(` ${value}`);
  });

  it.each([
    ["a GUID with one group short", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4"],
    ["a GUID with a letter outside hex", "0a1b2c3d-4e5f-4a6g-8c7d-9e0f1a2b3c4d"],
    ["a GUID with text before it", `x${guid}`],
    ["a GUID with text after it", `${guid}x`],
    ["a GUID with digits before its groups", "00a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a GUID whose groups are one character", "0-4-4-8-9"],
    ["a GUID of no hex at all", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"],
    ["a GUID with a second group of letters past f", "0a1b2c3d-zzzz-4a6b-8c7d-9e0f1a2b3c4d"],
    ["a GUID with a third group of letters past f", "0a1b2c3d-4e5f-zzzz-8c7d-9e0f1a2b3c4d"],
    ["a GUID with a fourth group of letters past f", "0a1b2c3d-4e5f-4a6b-zzzz-9e0f1a2b3c4d"],
    ["a GUID with a last group of letters past f", "0a1b2c3d-4e5f-4a6b-8c7d-zzzzzzzzzzzz"],
    ["a 39 hex digit text", sha1.slice(1)],
    ["a 41 hex digit text", `${sha1}0`],
    ["a 63 hex digit text", sha256.slice(1)],
    ["a 65 hex digit text", `${sha256}0`],
    ["a hex text with a word before it", `key ${sha1}`],
    ["a 40 character text of letters past f", "z".repeat(40)],
    ["a 64 character text of letters past f", "z".repeat(64)],
    ["a single hex digit", "a"],
    ["an http URL", "http://login.example.test/t"],
    ["a URL with a user", "https://user@login.example.test/"],
    ["a URL with a password", "https://:pw@login.example.test/"],
    ["a URL with a query", "https://login.example.test/?code=secret"],
    ["a URL with a fragment", "https://login.example.test/#token=secret"],
    ["a URL with a space", "https://login.example.test/a b"],
    ["a URL over 300 characters", `https://login.example.test/${"a".repeat(280)}`],
    ["no URL at all", "https//nope"],
    ["a password", "S3cretPassw0rd"],
    ["a number", 42],
    ["nothing", undefined],
  ])("quotes nothing of %s", (_what, value) => {
    expect(isSafeToQuote(value)).toBe(false);
    expect(quoted(value)).toBe("");
  });

  it("knows a GUID in either case, whole, and only as a string", () => {
    const id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    expect([isGuid(id), isGuid(id.toUpperCase()), isGuid(`${id}0`), isGuid(`0${id}`)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    // A one-element list would pass a bare pattern test (it becomes its element's text).
    expect([isGuid(1), isGuid(undefined), isGuid([id]), isGuid({ toString: () => id })]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it("has each shape checked by its own rule", () => {
    expect([isGuid(guid), isGuid(sha1), isThumbprintHex(sha1), isThumbprintHex(guid)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(isSafeUrl(`https://login.example.test/${"a".repeat(273)}`)).toBe(true);
    expect(isSafeUrl(`https://login.example.test/${"a".repeat(274)}`)).toBe(false);
  });

  it("quotes a path of up to 200 characters, and nothing for what it will not quote", () => {
    const path = `/tmp/${"a".repeat(191)}.pem`;
    expect(path).toHaveLength(200);
    expect(isQuotablePath(path)).toBe(true);
    expect(isQuotablePath(`${path}m`)).toBe(false);
    expect(quotedPath("S3cretPassw0rd")).toBe("");
  });

  it("counts a text over 1 KiB, or one starting with { or [ after spaces, as content", () => {
    expect(looksLikeContent(`/tmp/${"a".repeat(1019)}`)).toBe(false);
    expect(looksLikeContent(`/tmp/${"a".repeat(1020)}`)).toBe(true);
    expect(looksLikeContent("[1]")).toBe(true);
    expect(looksLikeContent("  [1]")).toBe(true);
    expect(looksLikeContent("/tmp/a{b}.json")).toBe(false);
    expect(looksLikeContent("/tmp/a [b].json")).toBe(false);
  });

  it("quotes a flag only when it is the whole text", () => {
    expect(isQuotableFlag("x--ca-file")).toBe(false);
    expect(isQuotableFlag("x-h")).toBe(false);
    expect(isQuotableFlag("-hx")).toBe(false);
    expect(isQuotableFlag(42)).toBe(false);
  });
});
