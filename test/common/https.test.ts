import { Agent } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpTimeoutError, requestJson, tlsTrustFailure } from "../../common/https";
import { stopAndRemove } from "../support/cli";
import { startEntra, tokenEndpoint } from "../support/entra";

describe("requestJson: JSON over HTTPS with an explicit CA", () => {
  let entra: Awaited<ReturnType<typeof startEntra>>;
  beforeAll(async () => {
    entra = await startEntra();
  });
  afterAll(() => stopAndRemove(entra));
  const discovery = () => `${entra.authorityHost}/${entra.tenantId}/v2.0/.well-known/openid-configuration`;

  it("GETs and parses JSON, trusting only the CA it is given", async () => {
    const res = await requestJson<{ jwks_uri: string }>(discovery(), { ca: entra.caPem });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body?.jwks_uri).toMatch(/^https:\/\/localhost:\d+\//);
  });

  it("POSTs a form and reads the error body of a 4xx answer instead of rejecting", async () => {
    const res = await requestJson<{ error: string }>(tokenEndpoint(entra), {
      method: "POST",
      agent: new Agent({ ca: entra.caPem }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe("invalid_request");
  });

  it("sends a JSON body with its content type", async () => {
    // The admin key (every /graph and /_local request carries it) when this local Entra ID has one.
    const adminKey = "adminKey" in entra && typeof entra.adminKey === "string" ? entra.adminKey : "";
    const res = await requestJson<{ displayName: string }>(`${entra.authorityHost}/graph/v1.0/applications`, {
      method: "POST",
      ca: entra.caPem,
      headers: { Authorization: `Bearer ${adminKey}` },
      json: { displayName: "json body" },
    });
    expect(res.status).toBe(201);
    expect(res.body?.displayName).toBe("json body");
  });

  it("rejects a server its CA does not vouch for, with a TLS code tlsTrustFailure recognizes", async () => {
    const err = await requestJson(discovery()).catch((e: unknown) => e);
    expect(tlsTrustFailure(err)).toMatch(
      /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
    );
    expect(tlsTrustFailure(new Error("ECONNREFUSED"))).toBeUndefined();
    expect(tlsTrustFailure({ cause: { code: "CERT_HAS_EXPIRED" } })).toBe("CERT_HAS_EXPIRED");
  });

  it("gives up with HttpTimeoutError when no answer comes in time", async () => {
    entra.faults.inject({ kind: "hang" });
    try {
      const err = await requestJson(tokenEndpoint(entra), {
        method: "POST",
        ca: entra.caPem,
        body: "x=1",
        timeoutMs: 200,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTimeoutError);
      expect((err as HttpTimeoutError).code).toBe("ERR_HTTP_TIMEOUT");
    } finally {
      entra.faults.clear();
    }
  });
});
