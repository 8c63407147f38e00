import { verifyClientAssertion } from "./assertion";
import { type Application, type ServicePrincipal, sameId } from "./directory";
import { aadsts } from "./errors";
import { issueAccessToken, type SigningKey, type TokenResponse } from "./token";
import { type View, visibleApplication, visibleServicePrincipal } from "./visibility";

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface GrantContext {
  view: View;
  tenantId: string;
  authorityHost: string;
  /** Both token endpoints of the tenant: an assertion may name either as its audience. */
  tokenEndpoints: string[];
  signing: SigningKey;
}

/**
 * The client-credentials grant with a certificate, checked in the order Entra ID checks it.
 * The v2.0 endpoint takes `scope=<resource>/.default`, the v1.0 endpoint `resource=<resource>`:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#second-case-access-token-request-with-a-certificate
 */
export async function clientCredentialsGrant(
  ctx: GrantContext,
  form: URLSearchParams,
  endpoint: "v1.0" | "v2.0" = "v2.0",
): Promise<TokenResponse & { resource: string }> {
  const grantType = required(form, "grant_type");
  if (grantType !== "client_credentials") throw aadsts.unsupportedGrant(clip(grantType));
  const clientId = required(form, "client_id");
  const named = required(form, endpoint === "v2.0" ? "scope" : "resource");
  const assertion = form.get("client_assertion");
  if (!assertion) throw aadsts.noCredential();
  const assertionType = required(form, "client_assertion_type");
  if (assertionType !== jwtBearer) throw aadsts.invalidAssertionType(clip(assertionType));
  const resourceId = endpoint === "v2.0" ? resourceOf(named) : named;

  const app = visibleApplication(ctx.view, ctx.tenantId, clientId);
  if (!app) throw aadsts.appNotFound(clip(clientId), ctx.tenantId);
  await verifyClientAssertion({ view: ctx.view, app, clientId, assertion, tokenEndpoints: ctx.tokenEndpoints });
  const client = visibleServicePrincipal(ctx.view, ctx.tenantId, app.appId);
  if (!client) throw aadsts.missingServicePrincipal(app.appId, ctx.tenantId);
  const { resourceApp, resource } = findResource(ctx, resourceId);

  const response = await issueAccessToken(
    {
      state: ctx.view.state,
      tenantId: ctx.tenantId,
      client,
      resourceApp,
      resource,
      requestedResource: resourceId,
      authorityHost: ctx.authorityHost,
      now: ctx.view.now,
    },
    ctx.signing,
  );
  return { ...response, resource: resourceId };
}

/**
 * Entra ID quotes the client's values in its errors; here they are cut to 128
 * characters, so a secret pasted into the wrong field is never echoed whole.
 */
const clip = (s: string) => (s.length > 128 ? `${s.slice(0, 128)}...` : s);

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw aadsts.missingParameter(name);
  return value;
}

/** Client credentials take exactly one scope, `<resource>/.default`. */
function resourceOf(scope: string): string {
  const [only, ...more] = scope.trim().split(/\s+/);
  if (only === undefined || more.length > 0 || !only.endsWith("/.default") || only === "/.default")
    throw aadsts.invalidScope(clip(scope));
  return only.slice(0, -"/.default".length);
}

function findResource(ctx: GrantContext, resourceId: string): { resourceApp: Application; resource: ServicePrincipal } {
  const wanted = resourceId.replace(/\/$/, "");
  const resourceApp = ctx.view.state.applications.find(
    (a) =>
      a.tenantId === ctx.tenantId &&
      (sameId(a.appId, wanted) || a.identifierUris.some((u) => u.replace(/\/$/, "") === wanted)),
  );
  const resource = resourceApp && visibleServicePrincipal(ctx.view, ctx.tenantId, resourceApp.appId);
  if (!resourceApp || !resource) throw aadsts.resourceNotFound(clip(resourceId), ctx.tenantId);
  return { resourceApp, resource };
}
