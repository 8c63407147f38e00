import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../common/httpServer";
import { graphError } from "./http";

/**
 * `/oidc/userinfo`, the discovery document's `userinfo_endpoint`, answered as Microsoft Graph answers it here: it
 * takes only a Graph access token of a signed-in user, and this server issues app-only tokens for its own APIs,
 * never for Graph. So every call is refused with Graph's 401 and its challenge: no token is "Access token is
 * empty", any token is one whose audience is not Graph.
 * https://learn.microsoft.com/entra/identity-platform/userinfo
 */
export function userinfoRoute(host: string, req: IncomingMessage, res: ServerResponse): void {
  const bearer = /^Bearer\s+\S+/i.test(req.headers.authorization ?? "");
  res.setHeader(
    "WWW-Authenticate",
    `Bearer realm="", authorization_uri="${host}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
  );
  sendJson(
    res,
    401,
    graphError(
      "InvalidAuthenticationToken",
      bearer ? "Access token validation failure. Invalid audience." : "Access token is empty.",
    ),
  );
}

/**
 * `/{tenant}/kerberos`, the document's `kerberos_endpoint`: Entra ID's Kerberos KDC proxy (MS-KKDCP), used by
 * Windows sign-in with cloud Kerberos trust. There is no KDC here; a client is told so in the OAuth error shape.
 */
export function kerberosRoute(res: ServerResponse): void {
  sendJson(res, 400, {
    error: "invalid_request",
    error_description: "This local Entra ID has no Kerberos KDC proxy: Kerberos tickets are not modelled.",
  });
}
