import { randomUUID } from "node:crypto";
import { CliError, CodedError } from "../common/errors";

/**
 * An OAuth error as Entra ID answers it: `code` is the body's `error` (RFC 6749 section 5.2 calls it the error
 * code: `invalid_client`, `invalid_request`, ...), `aadsts` the AADSTS number, with the HTTP status and text.
 */
export class EntraError extends CodedError {
  constructor(
    override readonly code: string,
    readonly aadsts: number,
    readonly description: string,
    readonly status = code === "invalid_client" ? 401 : 400,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
  }
}

/** Entra's error body: `error_description` ends with trace, correlation and timestamp, as the real service's does. */
export function errorBody(err: EntraError, correlationId: string = randomUUID(), now = new Date()) {
  const traceId = randomUUID();
  const timestamp = now
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    error: err.code,
    error_description: `AADSTS${err.aadsts}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.aadsts}`,
  };
}

/** The errors the token endpoint answers, worded as Entra ID words them. */
export const aadsts = {
  bodyTooLarge: (limit: number) =>
    new EntraError("invalid_request", 900144, `The request body must be at most ${limit} bytes.`),
  invalidRequestTarget: () => new EntraError("invalid_request", 90100, "The request target is not a valid URL."),
  /** AADSTS50000: Entra ID's answer when issuing a token fails on its side. */
  serviceError: () =>
    new EntraError(
      "server_error",
      50000,
      "There was an error issuing a token or an issue with our sign-in service.",
      500,
    ),
  tenantNotFound: (t: string) =>
    new EntraError(
      "invalid_request",
      90002,
      `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  tenantNotFoundAtDiscovery: (t: string) =>
    new EntraError(
      "invalid_tenant",
      90002,
      `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  missingParameter: (p: string) =>
    new EntraError("invalid_request", 900144, `The request body must contain the following parameter: '${p}'.`),
  unsupportedGrant: (g: string) =>
    new EntraError("unsupported_grant_type", 70003, `The app requested an unsupported grant type '${g}'.`),
  noCredential: () =>
    new EntraError(
      "invalid_client",
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    ),
  invalidAssertionType: (t: string) =>
    new EntraError(
      "invalid_request",
      700025,
      `The client_assertion_type '${t}' is not supported. Use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.`,
    ),
  appNotFound: (id: string, t: string) =>
    new EntraError(
      "unauthorized_client",
      700016,
      `Application with identifier '${id}' was not found in the directory '${t}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingServicePrincipal: (id: string, t: string) =>
    new EntraError(
      "unauthorized_client",
      7000229,
      `The client application ${id} is missing service principal in the tenant ${t}.`,
    ),
  malformedAssertion: () => new EntraError("invalid_request", 50027, "JWT token is invalid or malformed."),
  unsupportedAlgorithm: (alg: string) =>
    new EntraError("invalid_client", 5002730, `Invalid JWT token. Unsupported key for the signing algorithm '${alg}'.`),
  keyNotFound: (thumbprint: string, id: string) =>
    new EntraError(
      "invalid_client",
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${id}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${id}']`,
    ),
  badSignature: (thumbprint: string, start: string, end: string) =>
    new EntraError(
      "invalid_client",
      700027,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprint}', Found key 'Start=${start}, End=${end}']`,
    ),
  outsideValidity: (now: string, from: string, to: string) =>
    new EntraError(
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${now}, assertion valid from ${from}, expiry time of assertion ${to}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`,
    ),
  wrongAudience: () =>
    new EntraError(
      "invalid_client",
      700023,
      "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
    ),
  issuerMismatch: () =>
    new EntraError(
      "invalid_client",
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .",
    ),
  invalidScope: (s: string) =>
    new EntraError(
      "invalid_scope",
      1002012,
      `The provided value for scope ${s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (r: string, t: string) =>
    new EntraError(
      "invalid_resource",
      500011,
      `The resource principal named ${r} was not found in the tenant named ${t}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
};

/** Why the local Entra ID cannot start; the CLI edge prints the message and exits 1. */
export class LocalEntraError extends CliError {
  constructor(
    override readonly code:
      | "ERR_STATE_LOCKED"
      | "ERR_STATE_INVALID"
      | "ERR_ADMIN_KEY_INVALID"
      | "ERR_KEYS_INVALID"
      | "ERR_PORT_IN_USE",
    message: string,
  ) {
    super(code, 1, message);
  }
}
