/** Endpoints of one tenant on the local authority host. */
export function endpoints(host: string, tenantId: string) {
  const base = `${host}/${tenantId}`;
  return {
    issuer: `${base}/v2.0`,
    token: `${base}/oauth2/v2.0/token`,
    authorize: `${base}/oauth2/v2.0/authorize`,
    jwks: `${base}/discovery/v2.0/keys`,
    logout: `${base}/oauth2/v2.0/logout`,
    deviceCode: `${base}/oauth2/v2.0/devicecode`,
  };
}

/** The v2.0 OpenID configuration, with the fields MSAL and other clients read. */
export function openidConfiguration(host: string, tenantId: string) {
  const e = endpoints(host, tenantId);
  return {
    token_endpoint: e.token,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: e.jwks,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: e.issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${host}/oidc/userinfo`,
    authorization_endpoint: e.authorize,
    device_authorization_endpoint: e.deviceCode,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: e.logout,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid", "roles"],
    kerberos_endpoint: `${host}/${tenantId}/kerberos`,
    tenant_region_scope: null,
    cloud_instance_name: new URL(host).host,
    cloud_graph_host_name: new URL(host).host,
    msgraph_host: new URL(host).host,
    rbac_url: host,
  };
}

/** The JWKS: the signing key with its certificate chain, as Entra ID publishes it. */
export function jwks(jwk: Record<string, unknown>, kid: string, certificateDerBase64: string, issuer: string) {
  return { keys: [{ kty: "RSA", use: "sig", kid, x5t: kid, n: jwk.n, e: jwk.e, x5c: [certificateDerBase64], issuer }] };
}

/** Instance discovery, for clients that ask before they trust an authority. */
export function instanceDiscovery(host: string, authorizationEndpoint: string | null) {
  const alias = new URL(host).host;
  return {
    tenant_discovery_endpoint: authorizationEndpoint
      ? authorizationEndpoint.replace(/oauth2\/v2\.0\/authorize$/, "v2.0/.well-known/openid-configuration")
      : `${host}/common/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: alias, preferred_cache: alias, aliases: [alias] }],
  };
}
