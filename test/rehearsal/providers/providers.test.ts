import { describe, expect, it } from "vitest";
import { ProviderError } from "../../../rehearsal/engine/provider";
import { Secret, Unknown } from "../../../rehearsal/engine/wire";
import { application, applicationCertificate } from "../../../rehearsal/providers/azuread";
import { diffState } from "../../../rehearsal/providers/diff";
import type { GraphCall } from "../../../rehearsal/providers/graph";
import { randomPassword, randomString } from "../../../rehearsal/providers/random";
import { privateKey, rfc3339Nano, selfSignedCert } from "../../../rehearsal/providers/tls";

const noGraph: GraphCall = async () => {
  throw new Error("no Graph in this test");
};

describe("tls", () => {
  const cert = selfSignedCert(() => new Date("2026-06-01T00:00:00Z"));
  const inputs = cert.check({
    privateKeyPem: new Secret("k"),
    validityPeriodHours: 24,
    earlyRenewalHours: 0,
    allowedUses: ["digital_signature", "client_auth"],
    subject: { commonName: "x" },
  });
  const outputs = { validityEndTime: "2027-01-01T00:00:00.123456789Z" };

  it("early_renewal_hours updates the certificate in place", () => {
    expect(cert.diff(inputs, outputs, { ...inputs, earlyRenewalHours: 48 })).toEqual({
      changed: ["earlyRenewalHours"],
      replace: [],
    });
  });

  it("ForceNew fields replace it, and so does entering the early-renewal window", () => {
    expect(cert.diff(inputs, outputs, { ...inputs, validityPeriodHours: 48 }).replace).toEqual(["validityPeriodHours"]);
    const late = { ...inputs, earlyRenewalHours: 24 * 365 };
    expect(cert.diff(inputs, outputs, late).replace).toEqual(["readyForRenewal"]);
  });

  it("replaces a certificate whose end has passed even with earlyRenewalHours 0, as the provider's ModifyPlan does", () => {
    const at = (iso: string) => selfSignedCert(() => new Date(iso));
    const end = { validityEndTime: "2027-01-01T00:00:00.5Z" };
    expect(at("2027-01-01T00:00:00.499Z").diff(inputs, end, inputs)).toEqual({ changed: [], replace: [] });
    for (const now of ["2027-01-01T00:00:00.500Z", "2027-03-01T00:00:00Z"])
      expect(at(now).diff(inputs, end, inputs)).toEqual({ changed: ["readyForRenewal"], replace: ["readyForRenewal"] });
  });

  it("allowed uses are a set, and unknown uses are refused", () => {
    const swapped = cert.check({ ...inputs, allowedUses: ["client_auth", "digital_signature"] });
    expect(cert.diff(inputs, outputs, swapped)).toEqual({ changed: [], replace: [] });
    expect(() => cert.check({ ...inputs, allowedUses: ["everything"] })).toThrow(ProviderError);
  });

  it("private keys default to 2048 bits and every change replaces them", () => {
    const key = privateKey.check({ algorithm: "RSA" });
    expect(key.rsaBits).toBe(2048);
    expect(privateKey.diff(key, {}, { ...key, rsaBits: 4096 }).replace).toEqual(["rsaBits"]);
    expect(() => privateKey.check({ algorithm: "DSA" })).toThrow(/algorithm must be one of/);
  });

  it("validity times are RFC3339 with nanoseconds, trailing zeros dropped", () => {
    expect(rfc3339Nano(new Date("2027-11-28T09:00:00.577Z"), 151145)).toBe("2027-11-28T09:00:00.577151145Z");
    expect(rfc3339Nano(new Date("2027-11-28T09:00:00.000Z"), 0)).toBe("2027-11-28T09:00:00Z");
  });
});

describe("azuread Application", () => {
  const provider = application(noGraph, { authorityHost: "https://localhost:9", callerId: "c" });
  it("diffs against the state: owners in another order are no change, a new owner is an update, not a replacement", () => {
    const olds = provider.check({ displayName: "a", owners: ["b", "a"] });
    const outputs = { ...olds, objectId: "o", clientId: "c" };
    expect(provider.diff(olds, outputs, provider.check({ displayName: "a", owners: ["a", "b"] }))).toEqual({
      changed: [],
      replace: [],
    });
    expect(provider.diff(olds, outputs, provider.check({ displayName: "a", owners: ["a"] }))).toEqual({
      changed: ["owners"],
      replace: [],
    });
  });
});

describe("the bridge's diff against the state", () => {
  it("holds an empty list and an absent one the same, as Terraform does, and a dropped value a change", () => {
    expect(diffState({ owners: null }, { owners: [] }, { owners: null }, () => false).changed).toEqual([]);
    expect(diffState({ tags: ["a"] }, { tags: ["a"] }, {}, () => false).changed).toEqual(["tags"]);
    expect(diffState({ keyId: "k" }, { keyId: "k" }, {}, () => true, ["keyId"]).changed).toEqual([]);
  });
});

describe("azuread ApplicationCertificate", () => {
  const provider = applicationCertificate(noGraph);
  const base = {
    applicationId: "/applications/3d43dba6-4912-4e4e-8e5a-ee27f2f7cd34",
    type: "AsymmetricX509Cert",
    value: "pem",
  };

  // The state after a create: inputs echoed, the computed fields as the provider's read sets them.
  const outputs = {
    ...base,
    encoding: "pem",
    keyId: "0b7c4d6e-1f2a-4b3c-8d9e-0a1b2c3d4e5f",
    startDate: "2026-11-28T09:00:00Z",
    endDate: "2027-11-28T09:00:00Z",
  };

  it("diffs the new inputs against the old outputs, string for string: the same instant written otherwise replaces", () => {
    for (const endDate of ["2027-11-28T09:00:00.577151145Z", "2027-11-28T10:00:00+01:00"]) {
      const news = provider.check({ ...base, endDate });
      expect(news.endDate).toBe(endDate);
      // The old inputs hold the same string, yet the state holds the instant as the provider formats it: replaced...
      expect(provider.diff({ ...base, encoding: "pem", endDate }, outputs, news).replace).toEqual(["endDate"]);
    }
    // ...while the string the state holds is none.
    expect(provider.diff(base, outputs, provider.check({ ...base, endDate: "2027-11-28T09:00:00Z" }))).toEqual({
      changed: [],
      replace: [],
    });
  });

  it("a computed input left out keeps the state's value; one that was never computed is a change when dropped", () => {
    expect(provider.diff(base, outputs, provider.check(base))).toEqual({ changed: [], replace: [] });
    const dropped = { ...base } as Record<string, unknown>;
    delete dropped.type;
    expect(provider.diff(base, outputs, provider.check(dropped as typeof base)).replace).toEqual(["type"]);
  });

  it("checks dates as RFC3339 without rewriting them, and skips unknown ones", () => {
    expect(() => provider.check({ ...base, endDate: "next tuesday" })).toThrow(/endDate must be an RFC3339 date/);
    expect(() => provider.check({ ...base, startDate: "2027-11-28 09:00:00Z" })).toThrow(
      /startDate must be an RFC3339/,
    );
    expect(provider.check({ ...base, endDate: Unknown.value }).endDate).toBe(Unknown.value);
  });

  it("every field replaces, and applicationId must be the application's id", () => {
    const a = provider.check({ ...base });
    expect(provider.diff(a, a, provider.check({ ...base, value: "other" })).replace).toEqual(["value"]);
    expect(() => provider.check({ ...base, applicationId: "3d43dba6-4912-4e4e-8e5a-ee27f2f7cd34" })).toThrow(
      /\/applications\/\{objectId\}/,
    );
  });
});

describe("random RandomPassword", () => {
  it("honours length, classes and minimums", () => {
    const inputs = {
      length: 30,
      special: false,
      upper: true,
      lower: false,
      numeric: true,
      minUpper: 5,
      minLower: 0,
      minNumeric: 5,
      minSpecial: 0,
    };
    const s = randomString(inputs);
    expect(s).toHaveLength(30);
    expect(s).toMatch(/^[A-Z0-9]+$/);
    expect(s.replace(/[^A-Z]/g, "").length).toBeGreaterThanOrEqual(5);
    expect(s.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(5);
  });

  it("checks length against the minimums and marks result secret", () => {
    expect(() => randomPassword.check({ length: 2, minUpper: 3 })).toThrow(/sum of the minimums/);
    expect(() => randomPassword.check({ length: 0 })).toThrow(/at least 1/);
    expect(randomPassword.secretOutputs).toContain("result");
  });
});
