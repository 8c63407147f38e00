import { describe, expect, it } from "vitest";
import { adminToken, createBody, vaultForFile, vaultRequest } from "../support/keyvault";

type Method = Parameters<typeof vaultRequest>[1];
type Row = [method: Method, path: string, status: number, code?: string, message?: string];

/** A request no route takes: Key Vault's 400 BadParameter, naming the path's shape, never its names. */
const badRoute = (method: Method, path: string, shape: string): Row => [
  method,
  path,
  400,
  "BadParameter",
  `The request URI ${method} ${shape} is not valid.`,
];

/**
 * Which route answers what: every route with and without the trailing slash the SDKs may send, and a path no route
 * has, or a method a route does not take, refused with Key Vault's 400 BadParameter naming the route's shape only.
 */
describe("the local Key Vault's routes", () => {
  const v = vaultForFile(async (t) => {
    const token = await adminToken(t);
    const created = await vaultRequest(t.vault, "POST", "/certificates/routed/create", { token, json: createBody() });
    expect(created.status).toBe(202);
    return { token };
  });
  const guid = "0f0f0f0f-0000-4000-8000-000000000001";

  const dataPlane: Row[] = [
    ["GET", "/certificates", 200],
    ["GET", "/certificates/", 200],
    ["GET", "/deletedcertificates", 200],
    ["GET", "/deletedcertificates/", 200],
    ["GET", "/certificates/routed", 200],
    ["GET", "/certificates/routed/", 200],
    ["GET", "/certificates/routed/pending", 200],
    ["GET", "/certificates/routed/versions", 200],
    ["GET", "/certificates/routed/policy", 200],
    ["GET", "/keys/routed", 200],
    ["GET", "/keys/routed/", 200],
    ["GET", "/secrets/routed", 200],
    ["GET", "/secrets/routed/", 200],
    ["POST", "/keys/routed//sign", 400, "BadParameter", "The request body is empty; a JSON object is required."],
    ["GET", "/certificates/nope/ffffffffffffffffffffffffffffffff", 404, "CertificateNotFound"],
    ["DELETE", "/certificates/nope", 404, "CertificateNotFound"],
    ["DELETE", "/certificates/nope/", 404, "CertificateNotFound"],
    ["POST", "/deletedcertificates/nope/recover", 404, "CertificateNotFound"],
    ["GET", "/deletedcertificates/nope", 404, "CertificateNotFound"],
    ["GET", "/deletedcertificates/nope/", 404, "CertificateNotFound"],
    ["DELETE", "/deletedcertificates/nope", 404, "CertificateNotFound"],
    ["DELETE", "/deletedcertificates/nope/", 404, "CertificateNotFound"],
    ["PATCH", "/certificates/nope", 400, "BadParameter", "The request body is empty; a JSON object is required."],
    badRoute("POST", "/certificates", "/certificates"),
    badRoute("GET", "/", "/{…}"),
    badRoute("GET", "/nothing/here", "/nothing/{…}"),
    badRoute("PATCH", "/certificates/routed/policy", "/certificates/{…}/{…}"),
    badRoute("GET", "/certificates/routed/x/y", "/certificates/{…}/{…}/{…}"),
    badRoute("GET", "/certificates/routed/a/b/c", "/certificates/{…}/{…}/{…}/{…}"),
    badRoute("PUT", "/certificates/routed", "/certificates/{…}"),
    badRoute("POST", "/certificates/routed", "/certificates/{…}"),
    badRoute("DELETE", "/certificates/routed/x", "/certificates/{…}/{…}"),
    badRoute("PATCH", "/deletedcertificates/nope", "/deletedcertificates/{…}"),
    badRoute("POST", "/keys/routed", "/keys/{…}"),
    badRoute("GET", "/keys/bad_name!", "/keys/{…}"),
    badRoute("DELETE", "/secrets/routed", "/secrets/{…}"),
    badRoute("GET", "/deletedcertificates/nope/recover/x", "/deletedcertificates/{…}/{…}/{…}"),
  ];

  it.each(dataPlane)("answers %s %s with %i", async (method, path, status, code, message) => {
    const res = await vaultRequest(v.t.vault, method, path, { token: v.token });
    expect(res.status).toBe(status);
    if (code) expect(res.body.error.code).toBe(code);
    if (message) expect(res.body.error.message).toBe(message);
  });

  const admin: Row[] = [
    ["GET", "/_local/roleAssignments", 200],
    ["GET", "/_local/roleAssignments/", 200],
    ["PUT", `/_local/roleAssignments/${guid}`, 200],
    ["PUT", "/_local/roleAssignments", 400, "BadParameter", "The principal id must be an object id (a GUID)."],
    ["PUT", "/_local/roleAssignments/", 400, "BadParameter", "The principal id must be an object id (a GUID)."],
    ["PUT", "/_local/roleAssignments/someone", 400, "BadParameter", "The principal id must be an object id (a GUID)."],
    badRoute("GET", `/_local/roleAssignments/${guid}`, "/{…}/{…}"),
    badRoute("DELETE", `/_local/roleAssignments/${guid}`, "/{…}/{…}"),
    badRoute("PUT", `/_local/roleAssignments/${guid}/x`, "/{…}/{…}/{…}"),
    badRoute("GET", "/_local/other", "/other"),
  ];

  it.each(admin)("answers the admin route %s %s with %i", async (method, path, status, code, message) => {
    const res = await vaultRequest(v.t.vault, method, path, { token: v.t.vault.adminKey, json: { roles: [] } });
    expect(res.status).toBe(status);
    if (code) expect(res.body.error.code).toBe(code);
    if (message) expect(res.body.error.message).toBe(message);
  });
});
