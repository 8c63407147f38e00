import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isRecord } from "../common/json";
import { LocalKeyVaultError } from "./errors";
import type { Policy } from "./policy";
import { isRoleName, type RoleName } from "./rbac";

/** One version of a certificate: the certificate, its key (the vault's own storage) and its attributes. */
export interface CertificateVersion {
  /** 32 lowercase hex digits, as Key Vault's versions. */
  version: string;
  /** Unix seconds. */
  created: number;
  updated: number;
  nbf: number;
  exp: number;
  enabled: boolean;
  policy: Policy;
  /** The certificate, base64 DER (`cer`). */
  cer: string;
  /** PKCS#8 PEM: a secret, only ever written to the 0600 state file. */
  privateKeyPem: string;
  tags?: Record<string, string>;
}

/** A certificate and its versions, newest last; `pending` is its create operation until a poll reads it. */
export interface CertificateObject {
  name: string;
  versions: CertificateVersion[];
  pending?: { requestId: string; csr: string; version: string; polled: boolean };
}

export interface DeletedCertificate {
  certificate: CertificateObject;
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** Everything the vault holds. Names are compared without case, as Key Vault's are: keys are lowercase. */
export interface VaultState {
  certificates: Record<string, CertificateObject>;
  deletedCertificates: Record<string, DeletedCertificate>;
  /** Role names held by each principal object id (lowercase). */
  roleAssignments: Record<string, RoleName[]>;
}

export interface VaultStore {
  path: string;
  readonly state: VaultState;
  /** Applies `change` to a copy, saves it, then makes it the state; if anything throws, nothing changes. */
  change<T>(change: (draft: VaultState) => T): T;
  /** Writes the current state (the first start's empty file). */
  save(): void;
}

/**
 * An entry of one of the state's records, by its own key only. Object names are client text, and names such as
 * `constructor` or `toString` are valid Key Vault names: a plain `record[name]` would find `Object.prototype`'s
 * members for them, and the routes would answer a certificate that was never made (a 500, or a create refused as
 * soft-deleted).
 */
export const entryOf = <T>(record: Record<string, T>, name: string): T | undefined =>
  Object.hasOwn(record, name) ? record[name] : undefined;

const empty = (): VaultState => ({ certificates: {}, deletedCertificates: {}, roleAssignments: {} });

/** Reads and checks the state file without writing anything; `save` or the first `change` writes it. */
export function readStore(path: string): VaultStore {
  let state = existsSync(path) ? readState(path) : empty();
  const write = (next: VaultState) => {
    mkdirSync(dirname(path), { recursive: true });
    // It holds private keys: 0600 from the first byte, and write-then-rename so a crash never leaves half a vault.
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  };
  return {
    path,
    get state() {
      return state;
    },
    change(apply) {
      const draft = structuredClone(state);
      const result = apply(draft);
      write(draft);
      state = draft;
      return result;
    },
    save: () => write(state),
  };
}

function readState(path: string): VaultState {
  const refuse = (what: string) =>
    new LocalKeyVaultError("ERR_STATE_INVALID", `${path} ${what}; fix it, or delete it to start an empty vault`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw refuse("is not valid JSON");
  }
  if (
    !isRecord(parsed) ||
    !isRecord(parsed.certificates) ||
    !isRecord(parsed.deletedCertificates) ||
    !isRecord(parsed.roleAssignments)
  )
    throw refuse("is not a local Key Vault state file (needs certificates, deletedCertificates, roleAssignments)");
  for (const roles of Object.values(parsed.roleAssignments))
    if (!Array.isArray(roles) || !roles.every(isRoleName)) throw refuse("holds a role assignment with unknown roles");
  const objects = [
    ...Object.values(parsed.certificates),
    ...Object.values(parsed.deletedCertificates).map((d) => (isRecord(d) ? d.certificate : undefined)),
  ];
  for (const o of objects)
    if (!isRecord(o) || typeof o.name !== "string" || !Array.isArray(o.versions))
      throw refuse("holds a certificate without a name or versions");
  return parsed as unknown as VaultState;
}
