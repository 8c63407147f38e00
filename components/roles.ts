import { createHash } from "node:crypto";
import type { Settings } from "./defaults";

/** An app role the companion API exposes, in azuread's `appRoles` shape. */
export interface AppRoleDefinition {
  allowedMemberTypes: string[];
  description: string;
  displayName: string;
  enabled: boolean;
  id: string;
  value: string;
}

/** This project's UUID namespace for app role ids (itself a v4 UUID, made once). */
export const roleNamespace = "3b0e6f3c-6d0a-4f57-9a55-8f1f8a2c4e71";

/**
 * A name-based UUID, version 5 (RFC 9562 section 5.5): SHA-1 over the namespace's 16 bytes and the name,
 * with the version and variant bits set.
 */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A stable id for a role, from the API's stable key (organization, project, stack and component name,
 * not the display name, which users rename) and the role value. Stable ids keep the application and the
 * assignments unchanged across runs, and are known at preview.
 */
export function appRoleId(apiKey: string, value: string): string {
  return uuidV5(roleNamespace, `${apiKey}/${value}`);
}

export function appRoleDefinitions(apiKey: string, apiName: string, values: string[]): AppRoleDefinition[] {
  return values.map((value) => ({
    allowedMemberTypes: ["Application"],
    description: `Applications holding ${value} may call ${apiName}.`,
    displayName: value,
    enabled: true,
    id: appRoleId(apiKey, value),
    value,
  }));
}

/** The roles the client is granted: `roles`, or else every role the companion API exposes. */
export function grantedRoles(settings: Pick<Settings, "roles" | "apiRoles" | "apiClientId">): string[] {
  if (settings.roles.length > 0 || settings.apiClientId) return [...settings.roles];
  return [...settings.apiRoles];
}
