import { describe, expect, it } from "vitest";
import { escapeData, maskCommands, secretLines, secretOutputs } from "../../action/mask";

/**
 * The Action's masking on its own (action/mask.ts): which values become `::add-mask::` commands, line by line.
 * action.test.ts reads the same commands from the bundle as the runner runs it.
 */
describe("the Action's masking of secrets", () => {
  const body = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "QCzzzz"];
  const pem = `-----BEGIN PRIVATE KEY-----\n${body.join("\n")}\n-----END PRIVATE KEY-----\n`;

  it("masks every line of a PEM but its armour, each as one command", () => {
    expect(maskCommands(pem)).toEqual(body.map((line) => `::add-mask::${line}`));
  });

  it("splits on CRLF too, trims each line, and masks a repeated line once", () => {
    expect(secretLines("  first \r\nsecond\r\n\r\nfirst\n\t\n")).toEqual(["first", "second"]);
  });

  it("takes as armour only a whole BEGIN or END line of upper-case words: any other line is masked", () => {
    const lines = [
      "-----BEGIN RSA PRIVATE KEY-----",
      "-----END PKCS7 CERTIFICATE-----",
      "-----BEGIN private key-----",
      "x-----BEGIN PRIVATE KEY-----",
      "-----BEGIN PRIVATE KEY-----x",
      "-----BEGIN -----",
      "-----START PRIVATE KEY-----",
    ];
    expect(secretLines(lines.join("\n"))).toEqual(lines.slice(2));
  });

  it("escapes a command's data as the runner unescapes it: % first, then CR and LF", () => {
    expect(escapeData("100%\r\n%0A")).toBe("100%25%0D%0A%250A");
    expect(maskCommands("a%b\rc")).toEqual(["::add-mask::a%25b%0Dc"]);
  });

  it("finds the program's secret outputs by name, and any other output holding a private key", () => {
    const outputs = {
      privateKeyPem: pem,
      certificatePfx: "MIIKpfx",
      pfxPassword: "hunter2",
      clientId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      certificatePem: "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
      extraKey: "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----",
    };
    expect(secretOutputs(outputs)).toEqual([pem, "MIIKpfx", "hunter2", outputs.extraKey]);
  });

  it("takes each named output as a secret whatever its text, a private key without its armour too", () => {
    expect(secretOutputs({ privateKeyPem: "MIIEvQIBADANBgkqhkiG9w0BAQEF" })).toEqual(["MIIEvQIBADANBgkqhkiG9w0BAQEF"]);
  });

  it("takes only text values as secrets, and nothing from outputs that are no object", () => {
    expect(secretOutputs({ pfxPassword: 12345678, privateKeyPem: null, certificatePfx: { value: "x" } })).toEqual([]);
    for (const outputs of [null, undefined, "privateKeyPem", [pem], 7]) expect(secretOutputs(outputs)).toEqual([]);
  });
});
