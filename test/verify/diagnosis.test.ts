import { describe, expect, it } from "vitest";
import { diagnose } from "../../verify/diagnosis";

describe("diagnose: what an AADSTS code means for a certificate client", () => {
  it.each([
    [700016, "", true],
    [7000229, "", true],
    [700027, "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key was not found.]", true],
    [
      700027,
      "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired.]",
      false,
    ],
    [90002, "", false],
    [500011, "", false],
  ])("AADSTS%i (%s) is transient: %s", (code, description, transient) => {
    expect(diagnose(code, description).transient).toBe(transient);
  });

  it("says 700027 with another reason is a signature that does not match the registered certificate", () => {
    expect(diagnose(700027, "Reason - signature mismatch").meaning).toBe(
      "the assertion's signature does not match the registered certificate",
    );
  });

  it("points to Microsoft's error reference for a code it does not know", () => {
    expect(diagnose(123456, "")).toEqual({
      meaning: "the authority refused the request",
      fix: "see the AADSTS code in Microsoft's error reference",
      transient: false,
    });
  });
});
