import { parseArgs } from "node:util";
import { InputError } from "./errors";

/** What a verify run was asked to do. */
export interface VerifyOptions {
  outputs?: string;
  stack?: string;
  cwd?: string;
  scope?: string;
  expectedRoles?: string[];
  apiClientId?: string;
  authorityHost?: string;
  caFile?: string;
  thumbprint: "sha256" | "sha1";
  timeoutSeconds: number;
  warnDays: number;
  json: boolean;
  help: boolean;
}

export const usage = `usage: npm run verify -- [source] [options]

Sources (one of them; the environment is used when neither flag is given):
  --outputs <file|->        JSON of \`pulumi stack output --json --show-secrets\` (- reads stdin)
  --stack <name>            read the stack's outputs with the Pulumi CLI (Automation API)
  --cwd <dir>               the Pulumi project folder for --stack (default: current folder)
  environment               AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH
                            (PEM with certificate and key), AZURE_AUTHORITY_HOST, with --scope

Options:
  --scope <scope>           resource scope, <api>/.default (overrides the outputs' scope)
  --expected-roles <a,b>    roles the token must carry (overrides the outputs' expectedRoles)
  --api-client-id <id>      the API's client id, the audience of v2.0 tokens
  --authority-host <url>    authority host, e.g. https://login.microsoftonline.us or the local Entra ID
  --ca-file <pem>           CA to trust for the authority host (given to msal-node, not the environment)
  --thumbprint <sha256|sha1>  certificate thumbprint the client assertion names (default sha256, PS256)
  --timeout <seconds>       overall deadline including retries (default 300)
  --warn-days <days>        warn when the certificate expires within this many days (default 30)
  --json                    one JSON object on stdout instead of the table
  -h, --help                this text

Exit codes: 0 verified, 2 bad input, 3 preflight failed, 4 authentication failed,
5 token check failed, 6 timed out, 1 unexpected error.`;

/** Parses the command line; unknown flags and bad values are input errors. */
export function parseOptions(argv: string[]): VerifyOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        outputs: { type: "string" },
        stack: { type: "string" },
        cwd: { type: "string" },
        scope: { type: "string" },
        "expected-roles": { type: "string" },
        "api-client-id": { type: "string" },
        "authority-host": { type: "string" },
        "ca-file": { type: "string" },
        thumbprint: { type: "string", default: "sha256" },
        timeout: { type: "string", default: "300" },
        "warn-days": { type: "string", default: "30" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new InputError(`${(err as Error).message.split("\n")[0]}; see --help`);
  }
  if (values.outputs !== undefined && values.stack !== undefined)
    throw new InputError("--outputs and --stack both given: choose one source of outputs");
  const thumbprint = values.thumbprint as string;
  if (thumbprint !== "sha256" && thumbprint !== "sha1")
    throw new InputError(`--thumbprint ${thumbprint} is not sha256 or sha1`);
  return {
    outputs: values.outputs as string | undefined,
    stack: values.stack as string | undefined,
    cwd: values.cwd as string | undefined,
    scope: values.scope as string | undefined,
    expectedRoles: values["expected-roles"] === undefined ? undefined : splitList(values["expected-roles"] as string),
    apiClientId: values["api-client-id"] as string | undefined,
    authorityHost: values["authority-host"] as string | undefined,
    caFile: values["ca-file"] as string | undefined,
    thumbprint,
    timeoutSeconds: positiveNumber("--timeout", values.timeout as string),
    warnDays: positiveNumber("--warn-days", values["warn-days"] as string, true),
    json: values.json as boolean,
    help: values.help as boolean,
  };
}

const splitList = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function positiveNumber(flag: string, text: string, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!zeroOk && n === 0))
    throw new InputError(`${flag} ${text} must be a ${zeroOk ? "non-negative" : "positive"} number`);
  return n;
}
