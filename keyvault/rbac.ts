/**
 * Azure's built-in Key Vault data-plane roles and the dataActions each grants, from the built-in role
 * definitions ("Azure built-in roles for Security", learn.microsoft.com/azure/role-based-access-control/built-in-roles/security):
 * - Key Vault Administrator  ...00482a5a-887f-4fb3-b363-3b7fe8e74483: Microsoft.KeyVault/vaults/*
 * - Key Vault Certificates Officer a4417e6f-fecd-4de8-b567-7b0420556985: certificatecas/*, certificates/*,
 *   certificatecontacts/write, and nothing else: not the secret's value, not the key (not even keys/read).
 * - Key Vault Certificate User db79e9a7-68ee-4b58-9aeb-b90e7c24fcba ("Read certificate contents"):
 *   certificates/read, keys/read, secrets/getSecret/action, secrets/readMetadata/action.
 * - Key Vault Crypto User 12338af0-0e69-4776-bea7-57ae8d297424: keys/read, keys/update/action, keys/backup/action,
 *   keys/encrypt|decrypt|wrap|unwrap|sign|verify/action.
 * - Key Vault Reader 21090545-7ca7-4776-b22c-e363652d74d2: Microsoft.KeyVault/vaults/*\/read,
 *   secrets/readMetadata/action.
 * - Key Vault Secrets User 4633458b-17de-408a-b874-0445c86b69e6: secrets/getSecret/action, secrets/readMetadata/action.
 */
export const roleNames = [
  "Key Vault Administrator",
  "Key Vault Certificate User",
  "Key Vault Certificates Officer",
  "Key Vault Crypto User",
  "Key Vault Reader",
  "Key Vault Secrets User",
] as const;

export type RoleName = (typeof roleNames)[number];

export const isRoleName = (value: unknown): value is RoleName => roleNames.includes(value as RoleName);

const v = "Microsoft.KeyVault/vaults";

export const dataActionsOf: Record<RoleName, readonly string[]> = {
  "Key Vault Administrator": [`${v}/*`],
  "Key Vault Certificates Officer": [`${v}/certificatecas/*`, `${v}/certificates/*`, `${v}/certificatecontacts/write`],
  "Key Vault Certificate User": [
    `${v}/certificates/read`,
    `${v}/keys/read`,
    `${v}/secrets/getSecret/action`,
    `${v}/secrets/readMetadata/action`,
  ],
  "Key Vault Crypto User": [
    `${v}/keys/read`,
    `${v}/keys/update/action`,
    `${v}/keys/backup/action`,
    `${v}/keys/encrypt/action`,
    `${v}/keys/decrypt/action`,
    `${v}/keys/wrap/action`,
    `${v}/keys/unwrap/action`,
    `${v}/keys/sign/action`,
    `${v}/keys/verify/action`,
  ],
  "Key Vault Reader": [`${v}/*/read`, `${v}/secrets/readMetadata/action`],
  "Key Vault Secrets User": [`${v}/secrets/getSecret/action`, `${v}/secrets/readMetadata/action`],
};

/** The dataActions the routes check. */
export const actions = {
  certificateRead: `${v}/certificates/read`,
  certificateCreate: `${v}/certificates/create/action`,
  certificateDelete: `${v}/certificates/delete`,
  certificatePurge: `${v}/certificates/purge/action`,
  certificateUpdate: `${v}/certificates/update/action`,
  certificateRecover: `${v}/certificates/recover/action`,
  keyRead: `${v}/keys/read`,
  keySign: `${v}/keys/sign/action`,
  secretGet: `${v}/secrets/getSecret/action`,
} as const;

/** Whether a pattern (with `*` standing for one or more path segments, as in role definitions) matches. */
function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map(escapeRegExp).join("[^]+")}$`, "i");
  return re.test(action);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Whether any of the roles grants the dataAction. */
export const grants = (roles: readonly RoleName[], action: string): boolean =>
  roles.some((role) => dataActionsOf[role].some((pattern) => matches(pattern, action)));
