import { createHash } from "node:crypto";
import { messageOf } from "../../common/errors";
import { requestJson } from "../../common/https";
import { type Created, type Diff, type PriorState, ProviderError, type ResourceProvider } from "../engine/provider";
import type { Plain, PlainMap, ValueMap } from "../engine/wire";
import type { VaultAccess } from "./context";
import { differsFromState, type StateSchema } from "./diff";
import { bool, isPlainMap, known, num, obj, objList, optStr, str, strList } from "./fields";

const what = "azure keyvault Certificate";
/** The API version of the Key Vault client azurerm uses (kermit sdk/keyvault/7.4). */
const apiVersion = "7.4";
// go-azure-helpers resourcemanager/keyvault ValidateNestedItemName.
const itemName = /^[0-9a-zA-Z-]{1,127}$/;
// go-azure-helpers commonids.KeyVaultId: segment names are matched without regard to case.
const vaultArmId =
  /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([^/]{1,90})\/providers\/Microsoft\.KeyVault\/vaults\/([A-Za-z0-9-]{3,24})$/i;
const keyTypes = ["EC", "EC-HSM", "RSA", "RSA-HSM", "oct"];
const keySizes = [256, 384, 521, 2048, 3072, 4096];
const keyUsages = [
  "cRLSign",
  "dataEncipherment",
  "decipherOnly",
  "digitalSignature",
  "encipherOnly",
  "keyAgreement",
  "keyCertSign",
  "keyEncipherment",
  "nonRepudiation",
];

/** A call the vault refused, with Key Vault's error code (never a request value). */
export class VaultError extends ProviderError {
  constructor(
    readonly vaultCode: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type VaultCall = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, body?: Plain) => Promise<Plain>;

function vaultClient(access: VaultAccess): VaultCall {
  return async (method, url, body) => {
    const token = await access.token();
    const target = `${url}${url.includes("?") ? "&" : "?"}api-version=${apiVersion}`;
    let res: Awaited<ReturnType<typeof requestJson<Plain>>>;
    try {
      res = await requestJson<Plain>(target, {
        method,
        agent: access.agent,
        headers: { Authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { json: body }),
      });
    } catch (err) {
      throw new ProviderError(
        `${what}: ${method} ${new URL(url).pathname} could not reach the vault: ${messageOf(err)}`,
      );
    }
    if (res.status >= 400) throw vaultError(method, url, res.status, res.body ?? null);
    return res.body ?? null;
  };
}

function vaultError(method: string, url: string, status: number, body: Plain): VaultError {
  const error = isPlainMap(body) && isPlainMap(body.error) ? body.error : {};
  const code = typeof error.code === "string" ? error.code : `HTTP${status}`;
  const message = typeof error.message === "string" ? error.message : "";
  return new VaultError(
    code,
    status,
    `${what}: ${method} ${new URL(url).pathname} failed (${status} ${code}): ${message}`,
  );
}

/** The parts of an ARM vault id; refused as azurerm's schema refuses it, naming the field. */
export function parseVaultId(id: unknown): { subscriptionId: string; resourceGroup: string; vaultName: string } {
  const m = typeof id === "string" ? vaultArmId.exec(id) : null;
  if (!m?.[1] || !m[2] || !m[3])
    throw new ProviderError(
      `${what}: keyVaultId must be a Key Vault resource id, /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>`,
    );
  return { subscriptionId: m[1], resourceGroup: m[2], vaultName: m[3] };
}

/**
 * Check, as the azurerm schema validates (hashicorp/terraform-provider-azurerm
 * internal/services/keyvault/key_vault_certificate_resource.go). Only generated
 * certificates: importing one (`certificate`) is not implemented locally.
 */
function checkPolicy(policy: PlainMap): void {
  const issuer = obj(policy, "issuerParameters");
  if (known(issuer.name ?? undefined)) str(issuer, "name", `${what} certificatePolicy.issuerParameters`);
  const key = obj(policy, "keyProperties");
  if (known(key.keyType ?? undefined) && !keyTypes.includes(String(key.keyType)))
    throw new ProviderError(`${what}: certificatePolicy.keyProperties.keyType must be one of ${keyTypes.join(", ")}`);
  if (known(key.keySize ?? undefined) && key.keySize !== null && !keySizes.includes(Number(key.keySize)))
    throw new ProviderError(`${what}: certificatePolicy.keyProperties.keySize must be one of ${keySizes.join(", ")}`);
  for (const field of ["exportable", "reuseKey"])
    if (known(key[field] ?? undefined) && typeof key[field] !== "boolean")
      throw new ProviderError(`${what}: certificatePolicy.keyProperties.${field} is required and must be a boolean`);
  const x509 = obj(policy, "x509CertificateProperties");
  for (const usage of strList(x509, "keyUsages"))
    if (!keyUsages.includes(usage))
      throw new ProviderError(
        `${what}: certificatePolicy.x509CertificateProperties.keyUsages must hold only ${keyUsages.join(", ")}`,
      );
  for (const action of objList(policy, "lifetimeActions")) {
    const type = obj(action, "action").actionType;
    if (known(type ?? undefined) && type !== "AutoRenew" && type !== "EmailContacts")
      throw new ProviderError(`${what}: lifetimeActions' actionType must be AutoRenew or EmailContacts`);
  }
}

/** The policy as the Key Vault REST API takes it (expandKeyVaultCertificatePolicy). */
function restPolicy(policy: PlainMap): PlainMap {
  const key = obj(policy, "keyProperties");
  const x509 = obj(policy, "x509CertificateProperties");
  const san = obj(x509, "subjectAlternativeNames");
  const sans: PlainMap = {};
  for (const [from, to] of [
    ["emails", "emails"],
    ["dnsNames", "dns_names"],
    ["upns", "upns"],
  ] as const)
    if (strList(san, from).length > 0) sans[to] = strList(san, from);
  return {
    issuer: { name: str(obj(policy, "issuerParameters"), "name", `${what} issuerParameters`) },
    key_props: {
      kty: str(key, "keyType", `${what} keyProperties`),
      key_size: num(key, "keySize", `${what} keyProperties`),
      exportable: bool(key, "exportable", false),
      reuse_key: bool(key, "reuseKey", false),
      ...(optStr(key, "curve") ? { crv: optStr(key, "curve") ?? "" } : {}),
    },
    secret_props: { contentType: str(obj(policy, "secretProperties"), "contentType", `${what} secretProperties`) },
    x509_props: {
      subject: str(x509, "subject", `${what} x509CertificateProperties`),
      validity_months: num(x509, "validityInMonths", `${what} x509CertificateProperties`),
      key_usage: strList(x509, "keyUsages"),
      ekus: strList(x509, "extendedKeyUsages"),
      sans,
    },
    lifetime_actions: objList(policy, "lifetimeActions").map(restLifetimeAction),
  };
}

function restLifetimeAction(action: PlainMap): PlainMap {
  const trigger = obj(action, "trigger");
  const days = typeof trigger.daysBeforeExpiry === "number" ? trigger.daysBeforeExpiry : 0;
  const percentage = typeof trigger.lifetimePercentage === "number" ? trigger.lifetimePercentage : 0;
  return {
    action: { action_type: optStr(obj(action, "action"), "actionType") ?? "" },
    trigger: {
      ...(days > 0 ? { days_before_expiry: days } : {}),
      ...(percentage > 0 ? { lifetime_percentage: percentage } : {}),
    },
  };
}

/** RFC 3339 in UTC to the second, as Go's time.Format(time.RFC3339) writes a Unix time on a UTC host. */
const rfc3339 = (unixSeconds: unknown): string =>
  typeof unixSeconds === "number" ? new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "";

/** The resource's state from a certificate bundle, as resourceKeyVaultCertificateRead sets it. */
function stateOf(bundle: Plain, inputs: PlainMap): Created {
  if (!isPlainMap(bundle)) throw new ProviderError(`${what}: the vault returned no certificate`);
  const id = str(bundle, "id", "Key Vault certificate");
  const [, name, version] = /\/certificates\/([^/]+)\/([0-9a-f]{32})$/.exec(new URL(id).pathname) ?? [];
  if (!name || !version) throw new ProviderError(`${what}: the vault returned a certificate id without a version`);
  const der = Buffer.from(str(bundle, "cer", "Key Vault certificate"), "base64");
  const x5t = optStr(bundle, "x5t");
  const sid = optStr(bundle, "sid") ?? "";
  const { subscriptionId, resourceGroup, vaultName } = parseVaultId(inputs.keyVaultId);
  const armBase = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${vaultName}/certificates/${name}`;
  const attributes = obj(bundle, "attributes");
  return {
    id,
    outputs: {
      ...inputs,
      name,
      version,
      versionlessId: id.replace(/\/[0-9a-f]{32}$/, ""),
      secretId: sid,
      versionlessSecretId: sid.replace(/\/[0-9a-f]{32}$/, ""),
      resourceManagerId: `${armBase}/versions/${version}`,
      resourceManagerVersionlessId: armBase,
      certificateData: der.toString("hex").toUpperCase(),
      certificateDataBase64: der.toString("base64"),
      thumbprint: x5t ? Buffer.from(x5t, "base64url").toString("hex").toUpperCase() : "",
      certificateAttributes: [
        {
          created: rfc3339(attributes.created),
          enabled: attributes.enabled === true,
          expires: rfc3339(attributes.exp),
          notBefore: rfc3339(attributes.nbf),
          recoveryLevel: optStr(attributes, "recoveryLevel") ?? "",
          updated: rfc3339(attributes.updated),
        },
      ],
      certificatePolicy: flatPolicy(obj(bundle, "policy")),
      tags: isPlainMap(bundle.tags) ? bundle.tags : {},
    },
  };
}

/** flattenKeyVaultCertificatePolicy: the policy as the vault reports it, in the provider's shape. */
function flatPolicy(policy: PlainMap): PlainMap {
  const key = obj(policy, "key_props");
  const x509 = obj(policy, "x509_props");
  const san = obj(x509, "sans");
  return {
    issuerParameters: { name: optStr(obj(policy, "issuer"), "name") ?? "" },
    keyProperties: {
      curve: optStr(key, "crv") ?? "",
      exportable: key.exportable === true,
      keySize: typeof key.key_size === "number" ? key.key_size : 0,
      keyType: optStr(key, "kty") ?? "",
      reuseKey: key.reuse_key === true,
    },
    lifetimeActions: objList(policy, "lifetime_actions").map((a) => {
      const trigger = obj(a, "trigger");
      return {
        action: { actionType: optStr(obj(a, "action"), "action_type") ?? "" },
        trigger: {
          ...(typeof trigger.days_before_expiry === "number" ? { daysBeforeExpiry: trigger.days_before_expiry } : {}),
          ...(typeof trigger.lifetime_percentage === "number"
            ? { lifetimePercentage: trigger.lifetime_percentage }
            : {}),
        },
      };
    }),
    secretProperties: { contentType: optStr(obj(policy, "secret_props"), "contentType") ?? "" },
    x509CertificateProperties: {
      extendedKeyUsages: strList(x509, "ekus"),
      keyUsages: strList(x509, "key_usage"),
      subject: optStr(x509, "subject") ?? "",
      subjectAlternativeNames: {
        emails: strList(san, "emails"),
        dnsNames: strList(san, "dns_names"),
        upns: strList(san, "upns"),
      },
      validityInMonths: typeof x509.validity_months === "number" ? x509.validity_months : 0,
    },
  };
}

/**
 * What the diff needs of azurerm's schema (key_vault_certificate_resource.go): the arguments; the two that are
 * ForceNew (`name`, and `key_vault_id` through commonschema.ResourceIDReferenceRequiredForceNew; a policy change is
 * an update that makes a new version); the Optional+Computed ones, which a configuration leaving them out does not
 * change (the state keeps what the vault reported); and the TypeSet lists, whose order is no difference.
 */
const certificateSchema: StateSchema = {
  arguments: ["certificate", "certificatePolicy", "keyVaultId", "name", "tags"],
  forceNew: ["name", "keyVaultId"],
  computed: [
    "certificatePolicy",
    "certificatePolicy.keyProperties.curve",
    "certificatePolicy.keyProperties.keySize",
    "certificatePolicy.x509CertificateProperties",
    "certificatePolicy.x509CertificateProperties.extendedKeyUsages",
    "certificatePolicy.x509CertificateProperties.subjectAlternativeNames",
  ],
  sets: [
    "certificatePolicy.x509CertificateProperties.keyUsages",
    "certificatePolicy.x509CertificateProperties.subjectAlternativeNames.emails",
    "certificatePolicy.x509CertificateProperties.subjectAlternativeNames.dnsNames",
    "certificatePolicy.x509CertificateProperties.subjectAlternativeNames.upns",
  ],
};

/**
 * How resourceKeyVaultCertificateUpdate splits a policy change: d.GetChange("certificate_policy") is the prior
 * STATE against the plan, and a difference outside `lifetime_action` creates a new version (createCertificate),
 * while one in `lifetime_action` alone is a PATCH of the policy's lifetime actions.
 */
function policyChanges(state: Plain | undefined, news: PlainMap): { body: boolean; lifetime: boolean } {
  const before = isPlainMap(state ?? null) ? (state as PlainMap) : {};
  const after = obj(news, "certificatePolicy");
  const { lifetimeActions: oldActions, ...oldBody } = before;
  const { lifetimeActions: newActions, ...newBody } = after;
  return {
    body: differsFromState(certificateSchema, ["certificatePolicy"], oldBody, newBody),
    lifetime: differsFromState(certificateSchema, ["certificatePolicy", "lifetimeActions"], oldActions, newActions),
  };
}

/**
 * The bridge's Diff of a certificate (pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go, Diff): the new
 * inputs against the prior STATE (the outputs the last create or update read back from the vault), never against
 * the old inputs; then the differences under the resource's ignoreChanges paths are dropped
 * (pkg/tfshim/sdk-v2/instance_diff.go, processIgnoreChanges), so an ignored policy stays the state's even when the
 * vault reports it in another form than the program wrote it.
 */
export function diffCertificate(
  _olds: ValueMap,
  state: ValueMap,
  news: ValueMap,
  ignoreChanges: readonly string[] = [],
): Diff {
  const changed = certificateSchema.arguments.filter((k) =>
    differsFromState(certificateSchema, [k], state[k], news[k], ignoreChanges),
  );
  return { changed, replace: changed.filter((k) => certificateSchema.forceNew.includes(k)) };
}

/**
 * azure:keyvault/certificate:Certificate (azurerm_key_vault_certificate), done
 * against the local Key Vault with the calls the azurerm provider makes: a GET
 * for an existing certificate, the create, polling the pending operation, a
 * GET of the new version; a policy change makes a new version, a change of
 * lifetime actions or tags a PATCH; delete soft-deletes and then purges
 * (`purge_soft_deleted_certificates_on_destroy`, on by default).
 */
export function keyVaultCertificate(
  access: VaultAccess,
  poll = () => new Promise((r) => setTimeout(r, 50)),
): ResourceProvider {
  const call = vaultClient(access);
  const baseOf = (inputs: PlainMap): string => {
    const url = access.vaultUrl(String(inputs.keyVaultId));
    if (!url)
      throw new ProviderError(
        `${what}: keyVaultId names a vault that does not exist or that the deploying identity cannot see`,
      );
    return url.replace(/\/$/, "");
  };
  const generate = async (inputs: PlainMap): Promise<Plain> => {
    const base = baseOf(inputs);
    const name = str(inputs, "name", what);
    const request = {
      policy: restPolicy(obj(inputs, "certificatePolicy")),
      attributes: { enabled: true },
      ...(isPlainMap(inputs.tags) ? { tags: inputs.tags } : {}),
    };
    try {
      await call("POST", `${base}/certificates/${name}/create`, request);
    } catch (err) {
      // A name held by a soft-deleted certificate: recovered first, as RecoverSoftDeletedCerts (on by default) does.
      if (!(err instanceof VaultError && err.status === 409)) throw err;
      await call("POST", `${base}/deletedcertificates/${name}/recover`);
      await waitFor(() => call("GET", `${base}/certificates/${name}/`), poll);
      await call("POST", `${base}/certificates/${name}/create`, request);
    }
    for (let i = 0; ; i++) {
      const operation = await call("GET", `${base}/certificates/${name}/pending`);
      const status = isPlainMap(operation) ? String(operation.status ?? "") : "";
      if (status.toLowerCase() === "completed") break;
      if (status.toLowerCase() !== "inprogress" || i > 600)
        throw new ProviderError(`${what}: certificate creation failed in state '${status || "unknown"}'`);
      await poll();
    }
    return call("GET", `${base}/certificates/${name}/`);
  };
  return {
    secretOutputs: [],
    check(news) {
      if (known(news.name ?? undefined) && !itemName.test(String(news.name)))
        throw new ProviderError(`${what}: name may only contain alphanumeric characters and dashes, at most 127`);
      if (known(news.keyVaultId ?? undefined)) parseVaultId(news.keyVaultId);
      if (news.certificate !== undefined && news.certificate !== null)
        throw new ProviderError(
          `${what}: importing a certificate (certificate) is not implemented by the local engine`,
        );
      const policy = news.certificatePolicy;
      if (policy === undefined || policy === null)
        throw new ProviderError(`${what}: one of certificate or certificatePolicy must be specified`);
      if (isPlainMap(policy as Plain)) checkPolicy(policy as PlainMap);
      return { ...news };
    },
    diff: diffCertificate,
    async create(inputs) {
      const base = baseOf(inputs);
      const name = str(inputs, "name", what);
      const existing = await call("GET", `${base}/certificates/${name}/`).catch((err: unknown) => {
        if (err instanceof VaultError && err.status === 404) return null;
        throw err;
      });
      if (existing !== null)
        throw new ProviderError(
          `${what}: a certificate named ${name} already exists in the vault; to be managed by Pulumi it needs to be imported`,
        );
      return stateOf(await generate(inputs), inputs);
    },
    async update(prior: PriorState, news: PlainMap) {
      const base = baseOf(news);
      const name = str(news, "name", what);
      // Against the prior state, as d.GetChange and d.HasChange see it (resourceKeyVaultCertificateUpdate).
      const policy = policyChanges(prior.outputs.certificatePolicy, news);
      if (policy.body) await generate(news);
      const lifetimeChanged = policy.lifetime;
      const tagsChanged = differsFromState(certificateSchema, ["tags"], prior.outputs.tags, news.tags);
      if (lifetimeChanged || tagsChanged)
        await call("PATCH", `${base}/certificates/${name}/`, {
          ...(tagsChanged ? { tags: isPlainMap(news.tags) ? news.tags : {} } : {}),
          ...(lifetimeChanged
            ? {
                policy: {
                  lifetime_actions: objList(obj(news, "certificatePolicy"), "lifetimeActions").map(restLifetimeAction),
                },
              }
            : {}),
        });
      return stateOf(await call("GET", `${base}/certificates/${name}/`), news);
    },
    async delete(prior) {
      const base = baseOf(prior.inputs);
      const name = str(prior.inputs, "name", what);
      const gone = (err: unknown) => {
        if (err instanceof VaultError && err.status === 404) return null;
        throw err;
      };
      if ((await call("DELETE", `${base}/certificates/${name}`).catch(gone)) === null) return;
      await waitUntilGone(() => call("GET", `${base}/certificates/${name}/`), poll);
      await call("DELETE", `${base}/deletedcertificates/${name}`).catch(gone);
      await waitUntilGone(() => call("GET", `${base}/deletedcertificates/${name}`), poll);
    },
  };
}

async function waitFor(get: () => Promise<Plain>, poll: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await get();
      return;
    } catch (err) {
      if (!(err instanceof VaultError && err.status === 404)) throw err;
    }
    await poll();
  }
  throw new ProviderError(`${what}: the recovered certificate did not become available`);
}

async function waitUntilGone(get: () => Promise<Plain>, poll: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await get();
    } catch (err) {
      if (err instanceof VaultError && err.status === 404) return;
      throw err;
    }
    await poll();
  }
  throw new ProviderError(`${what}: the vault still had the certificate after the delete`);
}

/** A stable local stand-in for a vault's ARM id: the rehearsal's own subscription, group and vault name. */
export function localVaultId(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  const guid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `/subscriptions/${guid}/resourceGroups/rehearsal/providers/Microsoft.KeyVault/vaults/rehearsal-${hex.slice(0, 8)}`;
}
