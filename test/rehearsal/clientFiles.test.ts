import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thumbprints } from "../../common/thumbprint";
import { earlierClientFiles } from "../../rehearsal/clientFiles";
import { sharedCertificate } from "../support/certificates";
import { fileTempDir } from "../support/tempFolders";

/**
 * A folder switched to --key-vault keeps the client files of the run before: the rehearsal's last lines say whether
 * their certificate is still attached (until the rotation after the switch) or was dropped by one since.
 */
describe("the client files a run before Key Vault mode left", () => {
  const dir = fileTempDir("eca-client-files-");
  const folder = async (name: string) => {
    const cert = await sharedCertificate();
    const at = join(dir, name);
    mkdirSync(at);
    writeFileSync(join(at, "client.pem"), `${cert.certificatePem.trim()}\n${cert.privateKeyPem}`, { mode: 0o600 });
    return { at, thumbprint: thumbprints(cert.certificatePem).sha1 };
  };
  const attached = (...prints: string[]) => ({
    attachedCertificates: prints.map((thumbprint) => ({ thumbprint, thumbprintSha256: "", notAfter: "" })),
  });

  it("are none in a folder that never had them", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(earlierClientFiles(empty, attached("AB"))).toBeUndefined();
  });

  it("hold a key still attached while their certificate is among the outputs' attachedCertificates", async () => {
    const { at, thumbprint } = await folder("switched");
    expect(earlierClientFiles(at, attached("00".repeat(20), thumbprint))).toBe("attached");
    expect(earlierClientFiles(at, attached(thumbprint.toLowerCase().replace(/(..)(?!$)/g, "$1:")))).toBe("attached");
  });

  it("hold a key no longer attached once a rotation dropped their certificate", async () => {
    const { at } = await folder("rotated");
    expect(earlierClientFiles(at, attached("00".repeat(20)))).toBe("detached");
    expect(earlierClientFiles(at, {})).toBe("detached");
  });
});
