import { CliError, CodedError } from "../common/errors";

/**
 * An error as Key Vault answers it: `{"error": {"code", "message", "innererror"?}}` with its HTTP status
 * (Key Vault REST reference, "KeyVaultError"; bodies seen in Azure/azure-sdk-for-js sdk/keyvault recordings).
 */
export class KeyVaultError extends CodedError {
  constructor(
    readonly status: number,
    override readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }

  get body() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}),
      },
    };
  }
}

/**
 * A version as an error may quote it: Key Vault's versions are 32 hex digits; anything else in that path
 * segment is client text that could be a pasted secret, and is not echoed. No version (the latest) is the name alone.
 */
const shownVersion = (name: string, version: string) =>
  version === "" ? name : /^[0-9a-f]{32}$/i.test(version) ? `${name}/${version}` : `${name} (the requested version)`;

/** The errors the local vault answers, worded as Key Vault words them. */
export const akv = {
  /** The first, unauthenticated request of every SDK call (the challenge probe). */
  missingToken: () => new KeyVaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
  malformedToken: () => new KeyVaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
  /** Wording from the service's answers quoted in MicrosoftDocs/azure-docs#109562 and go-autorest#525. */
  invalidAudience: (found: string) =>
    new KeyVaultError(
      401,
      "Unauthorized",
      `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${found}.`,
    ),
  /** Wording from Azure/azure-sdk-for-js#12539. */
  invalidIssuer: (expected: string, found: string) =>
    new KeyVaultError(401, "Unauthorized", `AKV10032: Invalid issuer. Expected one of ${expected}, found ${found}.`),
  /** A key the tenant does not publish (terraform-provider-azurerm#30912 quotes the service). */
  unknownKey: () =>
    new KeyVaultError(401, "Unauthorized", "AKV10046: Unable to resolve the key used for signature validation."),
  badSignature: () => new KeyVaultError(401, "Unauthorized", "Error validating token: IDX10511 (signature)."),
  /**
   * An expired token, in the words of the current service (x-ms-keyvault-service-version 1.9, quoted with its
   * WWW-Authenticate challenge in Azure/azure-sdk-for-python#27266); the service of 2020 said
   * "Error validating token: IDX10223" (Azure/azure-sdk-for-python#12368).
   */
  expired: () => new KeyVaultError(401, "Unauthorized", "[TokenExpired] Error validating token: 'S2S12086'."),
  notYetValid: () => new KeyVaultError(401, "Unauthorized", "Error validating token: IDX10222"),
  /**
   * An RBAC refusal, in the shape the service answers (quoted in terraform-provider-azurerm#27817 and
   * piyushsachdeva/Terraform_AKS#2): the caller, the action, the resource, and innererror ForbiddenByRbac.
   */
  forbidden: (caller: { appid?: string; oid: string; iss: string }, action: string, resource: string, vault: string) =>
    new KeyVaultError(
      403,
      "Forbidden",
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: ${caller.appid ? `appid=${caller.appid};` : ""}oid=${caller.oid};iss=${caller.iss}`,
        `Action: '${action}'`,
        `Resource: '${resource}'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: 'DeniedWithNoValidRBAC' ",
        `Vault: ${vault};location=local`,
        "",
      ].join("\r\n"),
      "ForbiddenByRbac",
    ),
  badParameter: (message: string) => new KeyVaultError(400, "BadParameter", message),
  certificateNotFound: (name: string, version?: string) =>
    new KeyVaultError(
      404,
      "CertificateNotFound",
      version
        ? `A certificate with (name/id) ${shownVersion(name, version)} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`
        : `A certificate with (name/id) ${name} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    ),
  pendingNotFound: (name: string) =>
    new KeyVaultError(404, "CertificateNotFound", `Pending certificate not found: ${name}`),
  deletedNotFound: (name: string) =>
    new KeyVaultError(404, "CertificateNotFound", `Deleted Certificate not found: ${name}`),
  keyNotFound: (name: string, version: string) =>
    new KeyVaultError(
      404,
      "KeyNotFound",
      `A key with (name/id) ${shownVersion(name, version)} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    ),
  secretNotFound: (name: string, version: string) =>
    new KeyVaultError(
      404,
      "SecretNotFound",
      `A secret with (name/id) ${shownVersion(name, version)} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
    ),
  /**
   * An operation on a disabled version: 403 Forbidden, as the service answers a get of a disabled secret
   * ("Operation get is not allowed on a disabled secret.", innererror SecretDisabled, quoted in
   * Azure/azure-sdk-for-js#24756 and ansible-collections/azure#1989); keys are worded alike.
   */
  disabled: (operation: "get" | "sign", kind: "secret" | "key") =>
    new KeyVaultError(
      403,
      "Forbidden",
      `Operation ${operation} is not allowed on a disabled ${kind}.`,
      kind === "secret" ? "SecretDisabled" : "KeyDisabled",
    ),
  /**
   * Sign with a key outside its nbf/exp window. The service refuses sign, encrypt and wrap there ("As on the server
   * side, we should honor the NotBefore and Expires properties in the Encrypt, Sign, and WrapKey operations",
   * Azure/azure-sdk-for-net#7677, a Key Vault SDK maintainer); the status is the service's 403 for such refusals,
   * the message this vault's own: the service's words for it were not found in a source.
   */
  keyOutsideValidity: () =>
    new KeyVaultError(
      403,
      "Forbidden",
      "Operation sign is not allowed on a key outside its validity period (nbf, exp).",
    ),
  /** Wording quoted in rcl-letsencrypt-auto-ssl/Lets-Encrypt-Auto#16. */
  deletedButRecoverable: (name: string) =>
    new KeyVaultError(
      409,
      "Conflict",
      `Certificate ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the certificate can only be recovered or purged.`,
      "ObjectIsDeletedButRecoverable",
    ),
  badRoute: (method: string, path: string) =>
    new KeyVaultError(400, "BadParameter", `The request URI ${method} ${path} is not valid.`),
  /** Requests node's HTTP parser refuses before any route sees them. */
  notHttp: () => new KeyVaultError(400, "BadParameter", "The request is not a valid HTTP/1.1 request."),
  headersTooLarge: () =>
    new KeyVaultError(431, "BadParameter", "The request's header fields are larger than the server accepts."),
  requestTimeout: () => new KeyVaultError(408, "BadParameter", "The request was not received in time."),
  bodyTooLarge: (limit: number) =>
    new KeyVaultError(400, "BadParameter", `The request body must be at most ${limit} bytes.`),
  missingApiVersion: () => new KeyVaultError(400, "BadParameter", "The 'api-version' query parameter is missing."),
  /**
   * The service's words (quoted in inspec/inspec-azure libraries/backend/helpers.rb: "The specified version (7.4) is
   * not recognized. Consider using the latest supported version (7.1)."). The version is quoted only when it is made
   * of digits, dots and dashes (and a -preview suffix): anything else is client text that could be a pasted secret.
   */
  badApiVersion: (version: string) =>
    new KeyVaultError(
      400,
      "BadParameter",
      `The specified version (${/^[\d.-]{1,12}(?:-preview(?:\.\d{1,3})?)?$/.test(version) ? version : "the requested version"}) is not recognized. Consider using the latest supported version (2025-07-01).`,
    ),
  internal: () => new KeyVaultError(500, "InternalServerError", "An unexpected error occurred."),
};

/** Why the local Key Vault cannot start; the CLI edge prints the message and exits 1. */
export class LocalKeyVaultError extends CliError {
  constructor(
    override readonly code:
      | "ERR_STATE_LOCKED"
      | "ERR_STATE_INVALID"
      | "ERR_ADMIN_KEY_INVALID"
      | "ERR_KEYS_INVALID"
      | "ERR_PORT_IN_USE"
      | "ERR_ENTRA_CA",
    message: string,
  ) {
    super(code, 1, message);
  }
}
