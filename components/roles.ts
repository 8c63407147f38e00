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

/**
 * A stable UUID for a role, derived from the API and the role value. A random
 * one would change on every run and churn the application; a stable one is
 * also known at preview time.
 */
export function appRoleId(apiName: string, value: string): string {
  const hex = createHash("sha256").update(`${apiName}/${value}`).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function appRoleDefinitions(apiName: string, values: string[]): AppRoleDefinition[] {
  return values.map((value) => ({
    allowedMemberTypes: ["Application"],
    description: `Applications holding ${value} may call ${apiName}.`,
    displayName: value,
    enabled: true,
    id: appRoleId(apiName, value),
    value,
  }));
}

/** The roles the client is granted: `roles`, or else every role the companion API exposes. */
export function grantedRoles(settings: Pick<Settings, "roles" | "apiRoles" | "apiClientId">): string[] {
  if (settings.roles.length > 0 || settings.apiClientId) return [...settings.roles];
  return [...settings.apiRoles];
}
