import * as pulumi from "@pulumi/pulumi";

/**
 * `<organization>/<project>/<stack>`, the fully qualified name of the stack being deployed (the DIY backend
 * reports the organization "organization"). CLIs from before organizations were passed to programs leave
 * it out and `getOrganization` throws; then `<project>/<stack>`, which both backends resolve against the
 * current organization or user.
 */
export function stackPath(): string {
  const rest = `${pulumi.getProject()}/${pulumi.getStack()}`;
  try {
    return `${pulumi.getOrganization()}/${rest}`;
  } catch {
    return rest;
  }
}
