import * as pulumi from "@pulumi/pulumi";

/**
 * The name of the stack being deployed, as a StackReference to it must be written.
 *
 * `<organization>/<project>/<stack>` whenever the CLI passes the organization: Pulumi Cloud reads a name
 * of two parts as `<org>/<stack>` and one of three as `<org>/<project>/<stack>` (pulumi/pulumi
 * pkg/backend/httpstate/backend.go, parseStackName), and a DIY backend's project layout accepts
 * `<stack>`, `organization/<stack>` and `organization/<project>/<stack>` (pkg/backend/diy/store.go,
 * projectReferenceStore.ParseReference; its organization is always "organization", which is what the CLI
 * passes). So `<project>/<stack>` is wrong on both. A DIY backend still on the legacy layout
 * (legacyReferenceStore) accepts only a bare stack name (sdk/go/common/tokens/stack_name.go): run
 * `pulumi state upgrade` there.
 *
 * A CLI that passes no organization (getOrganization throws) predates the DIY project layout: then the bare
 * `<stack>`, which every backend resolves in the current project (Pulumi Cloud: of the default organization).
 */
export function stackPath(): string {
  let organization: string;
  try {
    organization = pulumi.getOrganization();
  } catch {
    return pulumi.getStack();
  }
  return `${organization}/${pulumi.getProject()}/${pulumi.getStack()}`;
}
