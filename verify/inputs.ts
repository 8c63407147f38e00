import { InputError } from "./errors";
import { readBounded } from "./files";
import type { VerifyOptions } from "./options";

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
  privateKeyPem: string;
  /** As the stack declared them, to be checked against the certificate. */
  thumbprint?: string;
  thumbprintSha256?: string;
  caPem?: string;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const defaultAuthorityHost = "https://login.microsoftonline.com";

/** Inputs from stack outputs: the JSON of `pulumi stack output --json --show-secrets`. */
export function fromStackOutputs(
  outputs: unknown,
  options: VerifyOptions,
  source: "outputs" | "stack" = "outputs",
): ClientInputs {
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs))
    throw new InputError(
      "stack outputs are not a JSON object: pass the output of `pulumi stack output --json --show-secrets`",
    );
  const o = outputs as Record<string, unknown>;
  const text = (name: string, required = true): string | undefined => {
    const value = o[name];
    if (value === "[secret]")
      throw new InputError(
        `output ${name} is redacted ("[secret]"): run \`pulumi stack output --json --show-secrets\``,
      );
    if (value === undefined || value === null || value === "") {
      if (required)
        throw new InputError(
          `output ${name} is missing: pass the outputs of this project's stack (pulumi stack output --json --show-secrets)`,
        );
      return undefined;
    }
    if (typeof value !== "string") throw new InputError(`output ${name} must be a string`);
    return value;
  };
  const tenantId = text("tenantId")!;
  const authority = text("authority", false);
  return checked({
    source,
    tenantId,
    clientId: text("clientId")!,
    authorityHost: options.authorityHost ?? (authority ? hostOf(authority, tenantId) : defaultAuthorityHost),
    scope: options.scope ?? text("scope")!,
    expectedRoles: options.expectedRoles ?? roleList(o.expectedRoles),
    apiClientId: options.apiClientId ?? text("apiClientId", false),
    certificatePem: text("certificatePem")!,
    privateKeyPem: text("privateKeyPem")!,
    thumbprint: text("thumbprint", false),
    thumbprintSha256: text("thumbprintSha256", false),
  });
}

/** Inputs from the Azure Identity environment variables. */
export function fromEnvironment(env: NodeJS.ProcessEnv, options: VerifyOptions): ClientInputs {
  const need = (name: string) => {
    const value = env[name];
    if (!value)
      throw new InputError(
        `${name} is not set: give --outputs, --stack, or the AZURE_* environment variables (see --help)`,
      );
    return value;
  };
  const tenantId = need("AZURE_TENANT_ID");
  const clientId = need("AZURE_CLIENT_ID");
  const path = need("AZURE_CLIENT_CERTIFICATE_PATH");
  if (!options.scope)
    throw new InputError(
      "--scope is required with the AZURE_* environment variables, e.g. --scope api://my-api/.default",
    );
  const pem = readText(path, "AZURE_CLIENT_CERTIFICATE_PATH");
  const blocks = pemBlocks(pem);
  const certificatePem = blocks.find((b) => b.includes("CERTIFICATE"));
  const privateKeyPem = blocks.find((b) => b.includes("PRIVATE KEY"));
  if (!certificatePem || !privateKeyPem)
    throw new InputError(
      `AZURE_CLIENT_CERTIFICATE_PATH ${path} must hold a PEM certificate and its private key (a .pfx is not supported here; convert it with openssl pkcs12 -nodes)`,
    );
  return checked({
    source: "environment",
    tenantId,
    clientId,
    authorityHost: options.authorityHost ?? env.AZURE_AUTHORITY_HOST ?? defaultAuthorityHost,
    scope: options.scope,
    expectedRoles: options.expectedRoles ?? [],
    apiClientId: options.apiClientId,
    certificatePem,
    privateKeyPem,
  });
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
  if (!guid.test(inputs.tenantId)) throw new InputError(`tenantId ${inputs.tenantId} is not a tenant id (GUID)`);
  if (!guid.test(inputs.clientId)) throw new InputError(`clientId ${inputs.clientId} is not a client id (GUID)`);
  if (inputs.apiClientId && !guid.test(inputs.apiClientId))
    throw new InputError(`apiClientId ${inputs.apiClientId} is not a client id (GUID)`);
  if (!/^https:\/\/[^/\s]+$/.test(inputs.authorityHost.replace(/\/$/, "")))
    throw new InputError(
      `authority host ${inputs.authorityHost} must be an https origin, e.g. https://login.microsoftonline.com`,
    );
  inputs.authorityHost = inputs.authorityHost.replace(/\/$/, "");
  if (!/^\S+\/\.default$/.test(inputs.scope))
    throw new InputError(
      `scope ${inputs.scope} must be <api>/.default: the client-credentials flow asks for all of an API's granted roles`,
    );
  return inputs;
}

function hostOf(authority: string, tenantId: string): string {
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    throw new InputError(`output authority ${authority} is not a URL`);
  }
  if (url.pathname.replace(/\/$/, "") !== `/${tenantId}`)
    throw new InputError(`output authority ${authority} does not end with the tenant id ${tenantId}`);
  return url.origin;
}

function roleList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string"))
    throw new InputError("output expectedRoles must be a list of role names");
  return value as string[];
}

const pemBlocks = (text: string) => text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
