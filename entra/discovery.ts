/**
 * Discovery documents as Entra ID serves them. Field lists follow the live documents described in
 * https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
 * `tenant` is a tenant id, or `common` / `organizations`, whose documents carry the
 * placeholder `{tenantid}` in the issuer because they stand for every tenant.
 */

/** The issuer placeholder of the multi-tenant documents, as Entra ID spells it. */
export const tenantPlaceholder = "{tenantid}";

/** Endpoints of one tenant (or `common`) on the local authority host. */
export function endpoints(host: string, tenant: string, issuerTenant = tenant) {
  const base = `${host}/${tenant}`;
  return {
    issuer: `${host}/${issuerTenant}/v2.0`,
    token: `${base}/oauth2/v2.0/token`,
    authorize: `${base}/oauth2/v2.0/authorize`,
    jwks: `${base}/discovery/v2.0/keys`,
    logout: `${base}/oauth2/v2.0/logout`,
    deviceCode: `${base}/oauth2/v2.0/devicecode`,
    kerberos: `${base}/kerberos`,
    // On Microsoft Graph's host (msgraph_host), as Entra ID advertises https://graph.microsoft.com/oidc/userinfo.
    userinfo: `${host}/oidc/userinfo`,
    v1: {
      issuer: `https://sts.windows.net/${issuerTenant}/`,
      token: `${base}/oauth2/token`,
      authorize: `${base}/oauth2/authorize`,
      jwks: `${host}/common/discovery/keys`,
      logout: `${base}/oauth2/logout`,
      deviceCode: `${base}/oauth2/devicecode`,
    },
  };
}

/**
 * Entra ID fills in a region code (NA, EU, WW, ...) for a tenant and null for
 * `common`/`organizations`, which belong to no region. The local tenant says WW.
 */
const regionScope = (multiTenant: boolean) => (multiTenant ? null : "WW");

const shared = (host: string, multiTenant: boolean) => {
  const hostname = new URL(host).hostname;
  return {
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    tenant_region_scope: regionScope(multiTenant),
    // A host name, never host:port: clients build cache keys and aliases from it.
    cloud_instance_name: hostname,
    cloud_graph_host_name: hostname,
    msgraph_host: new URL(host).host,
    rbac_url: host,
  };
};

/**
 * The v2.0 OpenID configuration, with the field set and order of a real tenant's document (recorded responses of
 * login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration). `userinfo_endpoint` is served on
 * this host as Graph serves it (userinfo.ts); `kerberos_endpoint` names a KDC proxy this server does not model.
 */
export function openidConfiguration(host: string, tenant: string, multiTenant = false) {
  const e = endpoints(host, tenant, multiTenant ? tenantPlaceholder : tenant);
  const { tenant_region_scope, cloud_instance_name, cloud_graph_host_name, msgraph_host, rbac_url, ...common } = shared(
    host,
    multiTenant,
  );
  return {
    token_endpoint: e.token,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: e.jwks,
    response_modes_supported: common.response_modes_supported,
    subject_types_supported: common.subject_types_supported,
    id_token_signing_alg_values_supported: common.id_token_signing_alg_values_supported,
    response_types_supported: common.response_types_supported,
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: e.issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: e.userinfo,
    authorization_endpoint: e.authorize,
    device_authorization_endpoint: e.deviceCode,
    http_logout_supported: common.http_logout_supported,
    frontchannel_logout_supported: common.frontchannel_logout_supported,
    end_session_endpoint: e.logout,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    kerberos_endpoint: e.kerberos,
    tenant_region_scope,
    cloud_instance_name,
    cloud_graph_host_name,
    msgraph_host,
    rbac_url,
  };
}

/** The v1.0 OpenID configuration (`/{tenant}/.well-known/openid-configuration`), still read by older SDKs. */
export function openidConfigurationV1(host: string, tenant: string, multiTenant = false) {
  const e = endpoints(host, tenant, multiTenant ? tenantPlaceholder : tenant).v1;
  return {
    token_endpoint: e.token,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: e.jwks,
    issuer: e.issuer,
    microsoft_multi_refresh_token: true,
    authorization_endpoint: e.authorize,
    device_authorization_endpoint: e.deviceCode,
    end_session_endpoint: e.logout,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "tid", "ver", "oid"],
    ...shared(host, multiTenant),
  };
}

/**
 * The JWKS: the signing key with its certificate, as Entra ID publishes it.
 * The v2.0 keys name their issuer (with `{tenantid}` for common); the v1.0 keys do not.
 */
export function jwks(jwk: Record<string, unknown>, kid: string, certificateDerBase64: string, issuer?: string) {
  const key = { kty: "RSA", use: "sig", kid, x5t: kid, n: jwk.n, e: jwk.e, x5c: [certificateDerBase64] };
  return { keys: [issuer === undefined ? key : { ...key, issuer }] };
}

/**
 * Instance discovery. `tenant_discovery_endpoint` is built from this server's
 * own host and port: MSAL Python 1.21 sends `authorization_endpoint` without
 * the port, and echoing it would send the client to port 443. Only the tenant
 * segment of the parameter is used, and only if it looks like one.
 */
export function instanceDiscovery(host: string, authorizationEndpoint: string | null) {
  const alias = new URL(host).host;
  return {
    tenant_discovery_endpoint: `${host}/${tenantOf(authorizationEndpoint)}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: alias, preferred_cache: alias, aliases: [alias] }],
  };
}

function tenantOf(authorizationEndpoint: string | null): string {
  try {
    const segment = new URL(authorizationEndpoint ?? "").pathname.split("/")[1] ?? "";
    return /^[A-Za-z0-9.-]{1,64}$/.test(segment) ? segment : "common";
  } catch {
    return "common";
  }
}
