import { isRecord } from "../common/json";
import { isGuid, isSafeUrl, isThumbprintHex, quoted } from "../common/safe";
import { normalizeThumbprint } from "../common/thumbprint";
import { InputError } from "./errors";
import { readBounded } from "./files";
import { type KeyVaultKeyId, keyIdProblemMessage, parseKeyVaultKeyId } from "./keyVaultKeyId";
import type { VerifyOptions } from "./options";
import { isRoleValue } from "./roles";

/** Everything a client needs to ask for a token, from whichever source. */
export interface ClientInputs {
  source: "outputs" | "stack" | "environment";
  tenantId: string;
  clientId: string;
  authorityHost: string;
  scope: string;
  expectedRoles: string[];
  apiClientId?: string;
  certificatePem: string;
  /** The client's private key; absent when Key Vault signs (`keyVault`). */
  privateKeyPem?: string;
  /** Key Vault signing: the vault key that signs the client assertion, and what the run calls its inputs. */
  keyVault?: { key: KeyVaultKeyId; names: { keyId: string; certificate: string } };
  /** As the stack declared them (uppercase hex), to be checked against the certificate. */
  thumbprint?: string;
  thumbprintSha256?: string;
  caPem?: string;
}

/** The client's certificate and key, read from --certificate or AZURE_CLIENT_CERTIFICATE_PATH; the certificate alone for Key Vault signing. */
export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem?: string;
  /** What reading the file decided that the user should hear (which certificate of several was taken). */
  notes?: string[];
}

const defaultAuthorityHost = "https://login.microsoftonline.com";
const fix = "pass the outputs of this project's stack (pulumi stack output --json --show-secrets)";

/**
 * Inputs from stack outputs: the JSON of `pulumi stack output --json
 * --show-secrets`. Every error names the output and what is wrong with it,
 * never its value: a value in the wrong field may be the private key.
 */
export function fromStackOutputs(
  outputs: unknown,
  options: VerifyOptions,
  source: "outputs" | "stack" = "outputs",
  certificate?: ClientCertificate,
): ClientInputs {
  if (!isRecord(outputs))
    throw new InputError(
      "stack outputs are not a JSON object: pass the output of `pulumi stack output --json --show-secrets`",
    );
  const optional = (name: string): string | undefined => {
    const value = outputs[name];
    if (value === "[secret]")
      throw new InputError(
        `output ${name} is redacted ("[secret]"): run \`pulumi stack output --json --show-secrets\``,
      );
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") throw new InputError(`output ${name} must be a string`);
    return value;
  };
  const required = (name: string): string => {
    const value = optional(name);
    if (value === undefined) throw new InputError(`output ${name} is missing: ${fix}`);
    return value;
  };
  const tenantId = guidOf("output tenantId", required("tenantId"), "tenant id");
  const authority = optional("authority");
  const keyVault = vaultMode(options, outputs)
    ? {
        key: keyIdOf(
          options.keyVaultKeyId !== undefined ? "--key-vault-key-id" : "output keyVaultKeyId",
          options.keyVaultKeyId ?? required("keyVaultKeyId"),
        ),
        names: {
          keyId: options.keyVaultKeyId !== undefined ? "--key-vault-key-id" : "keyVaultKeyId",
          certificate: certificate ? "--certificate" : "certificatePem",
        },
      }
    : undefined;
  return checked({
    source,
    tenantId,
    clientId: guidOf("output clientId", required("clientId"), "client id"),
    authorityHost: options.authorityHost ?? (authority ? hostOf(authority, tenantId) : defaultAuthorityHost),
    scope: options.scope ?? required("scope"),
    expectedRoles: options.expectedRoles ?? roleList(outputs.expectedRoles),
    apiClientId: options.apiClientId ?? optional("apiClientId"),
    certificatePem: certificate?.certificatePem ?? required("certificatePem"),
    privateKeyPem: keyVault ? undefined : (certificate?.privateKeyPem ?? required("privateKeyPem")),
    keyVault,
    thumbprint: thumbprintOf("output thumbprint", optional("thumbprint"), 40),
    thumbprintSha256: thumbprintOf("output thumbprintSha256", optional("thumbprintSha256"), 64),
  });
}

/**
 * One client's outputs: with --client, its entry of the outputs' `clients` map; without, the outputs as they
 * are, unless they hold only a `clients` map, which needs a choice. Names are shape-checked before they are said.
 */
export function clientOutputs(outputs: unknown, options: VerifyOptions): unknown {
  if (!isRecord(outputs)) return outputs;
  const clients = outputs.clients;
  if (options.client === undefined) {
    if (isRecord(clients) && outputs.clientId === undefined)
      throw new InputError(
        `the outputs hold many clients (${clientNames(clients).join(", ")}): choose one with --client <name>, or verify them all with --all-clients`,
      );
    return outputs;
  }
  if (clients === "[secret]")
    throw new InputError('output clients is redacted ("[secret]"): run `pulumi stack output --json --show-secrets`');
  if (!isRecord(clients))
    throw new InputError("--client: the outputs hold no `clients` map; this stack has one client: leave --client out");
  const one = clients[options.client];
  if (!isRecord(one))
    throw new InputError(
      `--client ${options.client}: the outputs' clients has no such client; it holds ${clientNames(clients).join(", ") || "none"}`,
    );
  return one;
}

/** The names of a `clients` map that are names; anything else is counted, not quoted. */
export function clientNames(clients: Record<string, unknown>): string[] {
  const names = Object.keys(clients);
  const shown = names.filter((n) => /^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(n));
  return shown.length === names.length ? shown : [...shown, `${names.length - shown.length} more`];
}

/**
 * Inputs from the Azure Identity environment variables, as its
 * EnvironmentCredential reads them (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_CLIENT_CERTIFICATE_PATH with AZURE_CLIENT_CERTIFICATE_PASSWORD,
 * AZURE_AUTHORITY_HOST); the certificate is read by the caller.
 */
export function fromEnvironment(
  env: NodeJS.ProcessEnv,
  options: VerifyOptions,
  certificate: ClientCertificate,
): ClientInputs {
  if (!options.scope)
    throw new InputError(
      "--scope is required with the AZURE_* environment variables, e.g. --scope api://my-api/.default",
    );
  const keyVault =
    options.keyVaultKeyId === undefined
      ? undefined
      : {
          key: keyIdOf("--key-vault-key-id", options.keyVaultKeyId),
          names: {
            keyId: "--key-vault-key-id",
            certificate: options.certificate ? "--certificate" : "AZURE_CLIENT_CERTIFICATE_PATH",
          },
        };
  return checked({
    source: "environment",
    tenantId: guidOf("AZURE_TENANT_ID", need(env, "AZURE_TENANT_ID"), "tenant id"),
    clientId: guidOf("AZURE_CLIENT_ID", need(env, "AZURE_CLIENT_ID"), "client id"),
    authorityHost: options.authorityHost ?? env.AZURE_AUTHORITY_HOST ?? defaultAuthorityHost,
    scope: options.scope,
    expectedRoles: options.expectedRoles ?? [],
    apiClientId: options.apiClientId,
    certificatePem: certificate.certificatePem,
    privateKeyPem: keyVault ? undefined : certificate.privateKeyPem,
    keyVault,
  });
}

/**
 * Whether Key Vault signs: --key-vault-key-id is given, or the outputs name
 * a vault key (`keyVaultKeyId`) and hold no private key (Key Vault mode's
 * outputs never do). Decided before --certificate is read, which then must
 * hold the certificate alone.
 */
export function vaultMode(options: VerifyOptions, outputs?: unknown): boolean {
  if (options.keyVaultKeyId !== undefined) return true;
  if (!isRecord(outputs)) return false;
  const present = (name: string) => outputs[name] !== undefined && outputs[name] !== null && outputs[name] !== "";
  return present("keyVaultKeyId") && !present("privateKeyPem");
}

function keyIdOf(what: string, value: string): KeyVaultKeyId {
  const parsed = parseKeyVaultKeyId(value);
  if (typeof parsed === "string") throw new InputError(keyIdProblemMessage(what, parsed));
  return parsed;
}

/** An environment variable that must be set. */
export function need(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new InputError(
      `${name} is not set: give --outputs, --stack, or the AZURE_* environment variables (see --help)`,
    );
  return value;
}

/** A text file, at most 1 MiB. */
export const readText = (path: string, what: string): string => readBounded(path, what).toString("utf8");

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message can quote the text, and the text holds a private key.
    throw new InputError(`${what} is not valid JSON: pass the output of \`pulumi stack output --json --show-secrets\``);
  }
}

function checked(inputs: ClientInputs): ClientInputs {
  if (inputs.apiClientId !== undefined) guidOf("apiClientId", inputs.apiClientId, "client id");
  const host = inputs.authorityHost.replace(/\/$/, "");
  if (!isSafeUrl(host) || new URL(host).origin !== host)
    throw new InputError(
      `authority host${quoted(inputs.authorityHost)} must be an https origin, e.g. https://login.microsoftonline.com`,
    );
  inputs.authorityHost = host;
  if (!scopePattern.test(inputs.scope))
    throw new InputError(
      "scope must be <api>/.default (e.g. api://my-api/.default): the client-credentials flow asks for all of an API's granted roles",
    );
  return inputs;
}

// An API's identifier (api://..., https://..., or its client id) and /.default; no spaces, no query.
const scopePattern = /^[A-Za-z0-9][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~%:/-]+\/\.default$|^[0-9a-f-]{36}\/\.default$/i;

function guidOf(what: string, value: string, kind: string): string {
  if (!isGuid(value)) throw new InputError(`${what} is not a ${kind} (a GUID)`);
  return value;
}

function thumbprintOf(what: string, value: string | undefined, digits: 40 | 64): string | undefined {
  if (value === undefined) return undefined;
  const hex = normalizeThumbprint(value);
  if (!isThumbprintHex(hex) || hex.length !== digits)
    throw new InputError(`${what} is not a ${digits}-hex-digit thumbprint`);
  return hex;
}

function hostOf(authority: string, tenantId: string): string {
  if (!isSafeUrl(authority))
    throw new InputError("output authority is not an https URL (<authority host>/<tenant id>)");
  const url = new URL(authority);
  if (url.pathname.replace(/\/$/, "") !== `/${tenantId}`)
    throw new InputError(`output authority ${authority} does not end with the tenant id ${tenantId}`);
  return url.origin;
}

function roleList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string" && isRoleValue(v)))
    throw new InputError(
      "output expectedRoles must be a list of app role values (at most 120 characters each, no spaces)",
    );
  return value;
}
