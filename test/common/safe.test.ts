import { describe, expect, it } from "vitest";
import { isQuotableFlag, isQuotablePath, looksLikeContent, oneLine, quotedPath } from "../../common/safe";

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

  it("joins a message's lines", () => {
    expect(oneLine("a\n  b\r\nc")).toBe("a b c");
  });
});
