import { describe, expect, it } from "vitest";
import { ArgumentError, CliError, CodedError, messageOf } from "../../common/errors";
import { BodyTooLargeError } from "../../common/httpServer";
import { HttpTimeoutError } from "../../common/https";
import { ConfigError } from "../../components/errors";
import { DirectoryError } from "../../entra/directory";
import { aadsts, EntraError, errorBody } from "../../entra/errors";
import { akv, KeyVaultError } from "../../keyvault/errors";
import { AbortedError, CheckpointError, ProgramError, ResourceError } from "../../rehearsal/engine/errors";
import { ProviderError } from "../../rehearsal/engine/provider";
import { WireError } from "../../rehearsal/engine/wire";
import { DeploymentError, exitCodes } from "../../rehearsal/errors";
import { GraphError } from "../../rehearsal/providers/graph";
import { SignatureMismatchError } from "../../verify/assertion";
import { AuthenticationError } from "../../verify/errors";
import { VaultCallError } from "../../verify/vaultFailure";

describe("the error base", () => {
  it("gives every error of a class the class's code, and names it after the class", () => {
    const cases: [CodedError, { code: string }][] = [
      [new ConfigError(["keySize must be 2048, 3072 or 4096"]), ConfigError],
      [new ProgramError("the program failed"), ProgramError],
      [new ResourceError("urn:pulumi:dev::p::t::n", "failed"), ResourceError],
      [new CheckpointError("cannot be read"), CheckpointError],
      [new AbortedError(), AbortedError],
      [new WireError("an asset"), WireError],
      [new ProviderError("displayName is required"), ProviderError],
      [new HttpTimeoutError("https://localhost:1/x", 5), HttpTimeoutError],
      [new BodyTooLargeError(10), BodyTooLargeError],
      [new SignatureMismatchError(), SignatureMismatchError],
      [new VaultCallError({ kind: "other", transient: false, reason: "r" }), VaultCallError],
      [new ArgumentError("--name is required"), ArgumentError],
    ];
    for (const [err, cls] of cases) {
      expect(err).toBeInstanceOf(CodedError);
      expect(err.code).toMatch(/^ERR_[A-Z_]+$/);
      expect(err.code).toBe(cls.code);
      expect(err.name).toBe(err.constructor.name);
    }
  });

  it("keeps a code given at construction over the class's", () => {
    expect(new GraphError("Request_BadRequest", 400, "m")).toMatchObject({
      code: "ERR_PROVIDER",
      graphCode: "Request_BadRequest",
    });
    expect(new DirectoryError("Request_ResourceNotFound", "gone", 404)).toMatchObject({
      name: "DirectoryError",
      code: "Request_ResourceNotFound",
      status: 404,
    });
    expect(new CliError("ERR_NOT_FOUND", 3, "m")).toMatchObject({
      name: "CliError",
      code: "ERR_NOT_FOUND",
      exitCode: 3,
    });
    expect(new AuthenticationError("refused", 700027)).toMatchObject({ code: "ERR_AUTHENTICATION", aadsts: 700027 });
  });

  it("gives a failed update exit 7 with code ERR_DEPLOYMENT", () => {
    expect(new DeploymentError("update failed: x")).toMatchObject({
      code: "ERR_DEPLOYMENT",
      exitCode: exitCodes.deploymentFailed,
    });
  });
});

describe("the services' errors", () => {
  it("carry Entra ID's OAuth error as their code and the AADSTS number as aadsts, on the wire as Entra ID sends them", () => {
    const err = aadsts.unsupportedAlgorithm("ES256");
    expect(err).toBeInstanceOf(EntraError);
    expect(err).toMatchObject({ code: "invalid_client", aadsts: 5002730, status: 401 });
    expect(err.message).toBe("AADSTS5002730: Invalid JWT token. Unsupported key for the signing algorithm 'ES256'.");
    const body = errorBody(err, "00000000-0000-0000-0000-000000000001", new Date("2026-01-02T03:04:05.678Z"));
    expect(Object.keys(body)).toEqual([
      "error",
      "error_description",
      "error_codes",
      "timestamp",
      "trace_id",
      "correlation_id",
      "error_uri",
    ]);
    expect(body).toMatchObject({
      error: "invalid_client",
      error_codes: [5002730],
      timestamp: "2026-01-02 03:04:05Z",
      error_uri: "https://login.microsoftonline.com/error?code=5002730",
    });
    expect(body.error_description).toMatch(
      /^AADSTS5002730: Invalid JWT token\. .* Trace ID: [0-9a-f-]{36} Correlation ID: 00000000-0000-0000-0000-000000000001 Timestamp: 2026-01-02 03:04:05Z$/,
    );
  });

  it("carry Key Vault's error code, in Key Vault's body", () => {
    const err = akv.disabled("get", "secret");
    expect(err).toBeInstanceOf(KeyVaultError);
    expect(err).toBeInstanceOf(CodedError);
    expect(JSON.stringify(err.body)).toBe(
      '{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}',
    );
  });
});

describe("messageOf", () => {
  it("reads an Error's message and turns anything else into text", () => {
    expect(messageOf(new Error("no answer"))).toBe("no answer");
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf(42)).toBe("42");
    expect(messageOf(undefined)).toBe("undefined");
  });
});
