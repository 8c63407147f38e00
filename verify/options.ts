import { parseArgs } from "node:util";
import type { Flags } from "../common/cli";
import { ArgumentError } from "../common/errors";
import { keyIdProblemMessage, parseKeyVaultKeyId } from "./keyVaultKeyId";
import { isRoleValue } from "./roles";

/** What a verify run was asked to do. */
export interface VerifyOptions {
  outputs?: string;
  stack?: string;
  cwd?: string;
  certificate?: string;
  certificatePasswordEnv?: string;
  scope?: string;
  expectedRoles?: string[];
  apiClientId?: string;
  authorityHost?: string;
  caFile?: string;
  /** Sign the client assertion with this Key Vault key (a versioned key id), instead of a private key. */
  keyVaultKeyId?: string;
  thumbprint: "sha256" | "sha1";
  /** One client's outputs, by name, from outputs that hold a `clients` map. */
  client?: string;
  /** Every client of a `clients` map, concurrently, in one report. */
  allClients?: boolean;
  timeoutSeconds: number;
  warnDays: number;
  /** --check-expiry: report every attached certificate's end date, exit 9 if one ends within this many days; no token. */
  expiryWithinDays?: number;
}

export const usage = `usage: entra-cert-auth-verify [source] [options]   (in this project: npm run verify -- ...)

Sources (one of them; the environment is used when neither flag is given):
  --outputs <file|->        JSON of \`pulumi stack output --json --show-secrets\` (- reads stdin; at most 1 MiB)
  --stack <name>            read the stack's outputs with the Pulumi CLI (Automation API)
  --cwd <dir>               the Pulumi project folder for --stack (default: current folder)
  environment               AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH (PEM with certificate
                            and key, or PFX with AZURE_CLIENT_CERTIFICATE_PASSWORD), AZURE_AUTHORITY_HOST, with --scope

Options:
  --client <name>           verify one client of outputs that hold a \`clients\` map (a stack of many clients)
  --all-clients             verify every client of a \`clients\` map, concurrently, with one report listing each
                            client's verdict; the exit code is the worst one's (an unexpected error, 1, is the worst)
  --certificate <file>      the client's certificate and key: PEM (both in one file) or PFX/PKCS#12; overrides the
                            outputs' certificatePem and privateKeyPem, or AZURE_CLIENT_CERTIFICATE_PATH; with Key Vault
                            signing, a PEM holding the certificate only
  --key-vault-key-id <url>  sign the client assertion with this Key Vault key, https://<vault>/keys/<name>/<version>
                            (default: the outputs' keyVaultKeyId when they hold no privateKeyPem); the vault is reached
                            as DefaultAzureCredential's identity, which needs the Key Vault Crypto User role
  --certificate-password-env <VAR>  the environment variable holding the PFX password (never the password itself)
  --scope <scope>           resource scope, <api>/.default (overrides the outputs' scope)
  --expected-roles <a,b>    roles the token must carry (overrides the outputs' expectedRoles)
  --api-client-id <id>      the API's client id, the audience of v2.0 tokens
  --authority-host <url>    authority host, e.g. https://login.microsoftonline.us or the local Entra ID
  --ca-file <pem>           CA(s) to trust for the authority host and Key Vault (a PEM bundle; given to msal-node and
                            the Azure SDK clients, not the environment)
  --thumbprint <sha256|sha1>  certificate thumbprint the client assertion names: sha256 (default) signs PS256 with
                            x5t#S256, sha1 RS256 with x5t; the same with Key Vault signing
  --timeout <seconds>       deadline for getting a token, retries included (default 300)
  --warn-days <days>        warn when the certificate expires within this many days (default 30)
  --check-expiry            check the end date of every certificate in the attachedCertificates output instead of
                            getting a token (with --outputs or --stack); exit 9 if one ends within --within-days
  --within-days <days>      with --check-expiry: how close to its end a certificate may be (default 30)
  --json                    one JSON object on stdout instead of the table, on every path
  -h, --help                this text

Exit codes: 0 verified, 2 bad input, 3 preflight failed, 4 authentication failed,
5 token check failed, 6 timed out, 9 a certificate ends within --within-days (--check-expiry),
1 unexpected error.`;

/** verify's flags for node:util parseArgs; -h/--help and --json are added by the CLI edge. */
export const flags = {
  outputs: { type: "string" },
  stack: { type: "string" },
  cwd: { type: "string" },
  certificate: { type: "string" },
  "certificate-password-env": { type: "string" },
  scope: { type: "string" },
  "expected-roles": { type: "string" },
  "api-client-id": { type: "string" },
  "authority-host": { type: "string" },
  "ca-file": { type: "string" },
  "key-vault-key-id": { type: "string" },
  thumbprint: { type: "string", default: "sha256" },
  timeout: { type: "string", default: "300" },
  "warn-days": { type: "string", default: "30" },
  "check-expiry": { type: "boolean", default: false },
  "within-days": { type: "string" },
  client: { type: "string" },
  "all-clients": { type: "boolean", default: false },
} as const;

/** A client's name in a `clients` map (components/clientSettings.ts has the same rule). */
export const clientNamePattern = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

/** Checks parsed flags and turns them into options; bad values are argument errors (exit 2). */
export function toOptions(values: Flags<typeof flags>): VerifyOptions {
  if (values.outputs !== undefined && values.stack !== undefined)
    throw new ArgumentError("--outputs and --stack both given: choose one source of outputs");
  const thumbprint = values.thumbprint;
  if (thumbprint !== "sha256" && thumbprint !== "sha1") throw new ArgumentError("--thumbprint must be sha256 or sha1");
  if (values["within-days"] !== undefined && !values["check-expiry"])
    throw new ArgumentError("--within-days goes with --check-expiry");
  if (values["check-expiry"] && values.outputs === undefined && values.stack === undefined)
    throw new ArgumentError("--check-expiry reads the stack's outputs: give --outputs <file|-> or --stack <name>");
  const passwordEnv = values["certificate-password-env"];
  if (passwordEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
    throw new ArgumentError(
      "--certificate-password-env takes the name of an environment variable (e.g. PFX_PASSWORD), not the password",
    );
  const keyVaultKeyId = values["key-vault-key-id"];
  if (keyVaultKeyId !== undefined) {
    // The value is never echoed: a secret pasted after the flag has to stay unprinted.
    const parsed = parseKeyVaultKeyId(keyVaultKeyId);
    if (typeof parsed === "string") throw new ArgumentError(keyIdProblemMessage("--key-vault-key-id", parsed));
  }
  const allClients = values["all-clients"] === true;
  if (values.client !== undefined && allClients)
    throw new ArgumentError("--client and --all-clients both given: choose one client, or all of them");
  // Not echoed: a value that is no name may be anything pasted after the flag.
  if (values.client !== undefined && !clientNamePattern.test(values.client))
    throw new ArgumentError("--client takes a client's name: letters, digits and dashes, a letter first");
  if ((values.client !== undefined || allClients) && values.outputs === undefined && values.stack === undefined)
    throw new ArgumentError(
      `${allClients ? "--all-clients" : "--client"} reads a stack's \`clients\` output: give --outputs or --stack`,
    );
  return {
    client: values.client,
    // Only when asked for: a single-client run's options stay what they were.
    ...(allClients ? { allClients } : {}),
    outputs: values.outputs,
    stack: values.stack,
    cwd: values.cwd,
    certificate: values.certificate,
    certificatePasswordEnv: passwordEnv,
    scope: values.scope,
    expectedRoles: values["expected-roles"] === undefined ? undefined : roles(values["expected-roles"]),
    apiClientId: values["api-client-id"],
    authorityHost: values["authority-host"],
    caFile: values["ca-file"],
    keyVaultKeyId,
    thumbprint,
    timeoutSeconds: timeoutSeconds(values.timeout),
    warnDays: positiveNumber("--warn-days", values["warn-days"], true),
    expiryWithinDays: values["check-expiry"]
      ? positiveNumber("--within-days", values["within-days"] ?? "30", true)
      : undefined,
  };
}

/** Parses a command line as the CLI does (without --help and --json), for in-process callers and tests. */
export const parseOptions = (argv: string[]): VerifyOptions =>
  toOptions(parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false }).values);

const splitList = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The longest --timeout: a day. setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days) and fires at once if asked to. */
export const maxTimeoutSeconds = 86_400;

function timeoutSeconds(text: string): number {
  const seconds = positiveNumber("--timeout", text);
  if (seconds > maxTimeoutSeconds)
    throw new ArgumentError(`--timeout must be at most ${maxTimeoutSeconds} seconds (a day)`);
  return seconds;
}

/** The same shape check as the outputs' expectedRoles get; a value is never echoed (it may be a pasted secret). */
function roles(text: string): string[] {
  const list = splitList(text);
  if (!list.every(isRoleValue))
    throw new ArgumentError(
      "--expected-roles must be a comma-separated list of app role values (at most 120 characters each, no spaces)",
    );
  return list;
}

function positiveNumber(flag: string, text: string, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!zeroOk && n === 0))
    throw new ArgumentError(
      `${flag} must be a ${zeroOk ? "non-negative" : "positive"} number of ${flag === "--timeout" ? "seconds" : "days"}`,
    );
  return n;
}
