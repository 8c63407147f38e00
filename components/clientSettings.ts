import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./defaults";
import { ConfigError } from "./errors";
import { settingsProblems } from "./validation";

/** The settings a client of the `clients` map may set, under the top-level settings' own names. */
export const clientKeys = [
  "displayName",
  "certificateSubject",
  "roles",
  "rotation",
  "keySize",
  "validityDays",
  "earlyRenewalDays",
  "certificatePem",
  "privateKeyPem",
  "pfxPassword",
  "keyVaultId",
  "keyVaultExportable",
] as const;
export type ClientKey = (typeof clientKeys)[number];

/** One client's own settings, as the `clients` map sets them. */
export type ClientSettings = Partial<Pick<Settings, ClientKey>>;

/**
 * What a client does not take from the top-level settings: its names (each app its own display name and
 * certificate subject) and a brought certificate, key or PFX password, which belong to one app. Everything else
 * (rotation, key size, validity, roles, Key Vault...) is the top-level value unless the client sets its own.
 */
const ownOnly = new Set<ClientKey>([
  "displayName",
  "certificateSubject",
  "certificatePem",
  "privateKeyPem",
  "pfxPassword",
]);

const textKeys = new Set<ClientKey>([
  "displayName",
  "certificateSubject",
  "rotation",
  "certificatePem",
  "privateKeyPem",
  "pfxPassword",
  "keyVaultId",
]);
const wholeKeys = new Set<ClientKey>(["keySize", "validityDays", "earlyRenewalDays"]);

/**
 * A client's name: the key of its outputs under `clients`, part of its resources' names and of verify's
 * `--client`. Letters, digits and dashes, a letter first, at most 40, so that resource names and URNs stay short
 * and need no quoting in a shell.
 */
export const clientName = /^[A-Za-z][A-Za-z0-9-]{0,39}$/;

/** The clients of a stack, validated: each client's full settings, by name. */
export interface Clients {
  /** The top-level settings: the shared API's, and each client's defaults. */
  base: Settings;
  clients: Record<string, Settings>;
}

/**
 * Reads the `clients` setting: undefined when it is unset or an empty map (then the program makes one app from
 * the top-level settings, as before clients existed). The CLI hands a map over as JSON text (pulumi/pulumi
 * sdk/go/common/workspace/config.go, createConfigValue); a value that is not JSON is refused without quoting it.
 */
export function readClientsConfig(config: pulumi.Config): unknown {
  const text = config.get("clients");
  if (text === undefined || text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([
      "clients is not a map: write it as a YAML map in Pulumi.<stack>.yaml, or set one client's setting with `pulumi config set --path clients.<name>.rotation 2`",
    ]);
  }
}

/** Every client's settings over the top-level ones; throws a ConfigError naming each `clients.<name>.<key>`. */
export function clientsOf(raw: unknown, base: Settings, now: Date = new Date()): Clients | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError([
      "clients is not a map: write a map from each client's name to its settings, e.g. clients: {orders: {roles: [Orders.Read]}}",
    ]);
  const entries = Object.entries(raw);
  if (entries.length === 0) return undefined;
  // Problems of the top-level settings are reported once, as themselves, not again under each client.
  const problems = settingsProblems(base, now);
  const inherited = new Set(problems);
  const clients: Record<string, Settings> = {};
  entries.forEach(([name, value], index) => {
    if (!clientName.test(name)) {
      // Not quoted: a name that is no name may be anything pasted by mistake.
      problems.push(
        `clients: the name of client ${index + 1} is not a client name: use letters, digits and dashes, a letter first, at most 40 characters`,
      );
      return;
    }
    const own = ownSettingsOf(name, value, problems);
    if (!own) return;
    const settings = settingsFor(name, own, base);
    for (const problem of settingsProblems(settings, now))
      if (!inherited.has(problem)) problems.push(located(name, problem, own));
    clients[name] = settings;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return { base, clients };
}

/** A client's full settings: the top-level ones, then its own; its display name defaults to `<displayName>-<name>`. */
export function settingsFor(name: string, own: ClientSettings, base: Settings): Settings {
  const inherited = Object.fromEntries(
    Object.entries(base).filter(([key]) => !ownOnly.has(key as ClientKey)),
  ) as Partial<Settings>;
  return {
    ...base,
    ...inherited,
    displayName: `${base.displayName}-${name}`,
    certificateSubject: "",
    certificatePem: "",
    privateKeyPem: "",
    pfxPassword: "",
    ...own,
  };
}

/** A client's own settings with their types checked, or undefined with the problems pushed. */
function ownSettingsOf(name: string, value: unknown, problems: string[]): ClientSettings | undefined {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(`clients.${name} is not a map of settings: set e.g. clients.${name}.roles`);
    return undefined;
  }
  const own: Record<string, unknown> = {};
  const before = problems.length;
  for (const [key, v] of Object.entries(value)) {
    const at = `clients.${name}.${safeKey(key)}`;
    if (!(clientKeys as readonly string[]).includes(key)) {
      problems.push(`${at} is not a client setting: use ${clientKeys.join(", ")}`);
      continue;
    }
    const k = key as ClientKey;
    if (textKeys.has(k)) {
      // YAML reads `rotation: 2` as a number; the CLI would keep a top-level one as its text.
      if (typeof v === "string" || typeof v === "number") own[k] = String(v);
      else problems.push(`${at} must be text`);
    } else if (wholeKeys.has(k)) {
      const n = typeof v === "string" && /^[+-]?\d+$/.test(v) ? Number(v) : v;
      if (typeof n === "number" && Number.isFinite(n)) own[k] = n;
      else problems.push(`${at} must be a whole number`);
    } else if (k === "keyVaultExportable") {
      if (v === true || v === "true") own[k] = true;
      else if (v === false || v === "false") own[k] = false;
      else problems.push(`${at} must be true or false`);
    } else if (Array.isArray(v) && v.every((r) => typeof r === "string")) own[k] = v;
    else problems.push(`${at} must be a list of role values, e.g. [Data.Read]`);
  }
  return problems.length === before ? (own as ClientSettings) : undefined;
}

/**
 * A problem of a client's settings under its place, `clients.<name>.<key>: …`, with every value the client set
 * taken out: a value set in the wrong place may be a secret.
 */
function located(name: string, problem: string, own: ClientSettings): string {
  const first = problem.split(/[\s:[]/, 1)[0] ?? "";
  const key = first === "role" ? "roles" : first === "owner" ? "owners" : first;
  // Only roles and numbers are ever quoted by settingsProblems; each is taken out as a whole word.
  const quotable = [...(own.roles ?? []), own.keySize, own.validityDays, own.earlyRenewalDays];
  let text = problem;
  for (const value of quotable) {
    if (value === undefined || value === "") continue;
    const escaped = String(value).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    text = text.replace(new RegExp(`(?<![\\w.-])${escaped}(?![\\w.-])`, "g"), "(value)");
  }
  return /^[a-zA-Z]+$/.test(key) ? `clients.${name}.${key}: ${text}` : `clients.${name}: ${text}`;
}

function safeKey(key: string): string {
  return /^[A-Za-z][\w-]{0,39}$/.test(key) ? key : "(a key)";
}
