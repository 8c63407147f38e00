import { describe, expect, it } from "vitest";
import {
  assertApplicationPatch,
  assertNewApplication,
  assertNewAppRoleAssignment,
  assertNewServicePrincipal,
  ownerIdOf,
  ownerReference,
  parseJsonBody,
  stateProblem,
} from "../../entra/validate";
import { loadedState } from "./loadedState";
import { invalid, refusal } from "./refusal";

/**
 * The admin-body checks at their limits (entra/validate.ts): each list and string at its largest size taken, the
 * owners references, the key credential's base64 and dates, and the exact Graph message of each refusal.
 * validate.test.ts has each check's common cases.
 */
const id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const guid = (i: number) => `${i.toString(16).padStart(8, "0")}-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;
const role = (i: number) => ({ id: guid(i), value: `R${i}`, allowedMemberTypes: ["Application"], isEnabled: true });
const directoryObject = (objectId: string) => `https://graph.microsoft.com/v1.0/directoryObjects/${objectId}`;

const notAnObject = (what: string): [string, string] => [
  "BadRequest",
  `The request body must be a JSON object describing a ${what}.`,
];

describe("admin bodies at the limits of what this server takes", () => {
  it("answers a body that is not JSON with Graph's words for it", () => {
    expect(refusal(() => parseJsonBody("{"))).toEqual([
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    ]);
  });

  it("counts only objects and lists as depth: strings and numbers at the deepest level taken are fine", () => {
    expect(parseJsonBody('{"displayName":"a long enough name"}')).toEqual({ displayName: "a long enough name" });
    const deepest = `${"[".repeat(8)}1, "x"${"]".repeat(8)}`;
    expect(refusal(() => parseJsonBody(deepest))).toBeUndefined();
  });

  it("takes each list at its largest (100 identifier URIs, app roles, optional claims, key credentials)", () => {
    const app = {
      displayName: "a".repeat(256),
      identifierUris: Array.from({ length: 100 }, (_, i) => `api://${i}`),
      appRoles: Array.from({ length: 100 }, (_, i) => role(i)),
      optionalClaims: { accessToken: Array.from({ length: 100 }, () => ({ name: "idtyp" })) },
    };
    expect(refusal(() => assertNewApplication(app))).toBeUndefined();
    const keyCredentials = Array.from({ length: 100 }, () => ({ key: "AAAA" }));
    expect(refusal(() => assertApplicationPatch({ keyCredentials }))).toBeUndefined();
    expect(refusal(() => assertApplicationPatch({ keyCredentials: [...keyCredentials, { key: "AAAA" }] }))).toEqual(
      invalid("keyCredentials", "Application"),
    );
  });

  it("takes an optional claim with a name only", () => {
    expect(
      refusal(() => assertNewApplication({ displayName: "a", optionalClaims: { idToken: [{ name: "x" }] } })),
    ).toBeUndefined();
  });

  it("names an unknown property by its first 64 characters only", () => {
    const name = "p".repeat(100);
    expect(refusal(() => assertNewApplication({ displayName: "a", [name]: 1 }))).toEqual([
      "Request_BadRequest",
      `Property '${"p".repeat(64)}' does not exist as a declared property or extension property.`,
    ]);
  });

  it("says which body it wanted when a body is no object", () => {
    expect(refusal(() => assertApplicationPatch(null))).toEqual(notAnObject("application"));
    expect(refusal(() => assertNewServicePrincipal(null))).toEqual(notAnObject("servicePrincipal"));
    expect(refusal(() => assertNewAppRoleAssignment(null, id))).toEqual(notAnObject("appRoleAssignment"));
    expect(refusal(() => ownerReference(null))).toEqual(notAnObject("directoryObject reference"));
    expect(refusal(() => assertNewServicePrincipal("appId"))).toEqual(notAnObject("servicePrincipal"));
    expect(refusal(() => assertNewApplication(7))).toEqual(notAnObject("application"));
  });

  it("names the property of a nested value that is no object or list", () => {
    const patch = (keyCredentials: unknown) => refusal(() => assertApplicationPatch({ keyCredentials }));
    expect(patch({})).toEqual(invalid("keyCredentials", "Application"));
    expect(patch(["k"])).toEqual(invalid("keyCredentials", "Application"));
    const app = (over: Record<string, unknown>) => refusal(() => assertNewApplication({ displayName: "a", ...over }));
    expect(app({ optionalClaims: { accessToken: ["idtyp"] } })).toEqual(invalid("optionalClaims", "Application"));
    expect(app({ appRoles: [{ ...role(1), allowedMemberTypes: "Application" }] })).toEqual(
      invalid("allowedMemberTypes", "AppRole"),
    );
  });
});

describe("owners, as directory object references", () => {
  it("reads the object id of a Graph or azuread provider reference, in lower case", () => {
    expect(ownerIdOf(directoryObject(id))).toBe(id);
    expect(ownerIdOf(directoryObject(id.toUpperCase()))).toBe(id);
    expect(ownerIdOf(`https://127.0.0.1:8443/v1.0/${id}/directoryObjects/${id}`)).toBe(id);
  });

  it("reads no id from a reference that is no directory object URL, is longer than 1024 characters, or no string", () => {
    expect(ownerIdOf("https://graph.microsoft.com/v1.0/users/x")).toBeUndefined();
    expect(ownerIdOf(`${directoryObject(id)}/extra`)).toBeUndefined();
    expect(ownerIdOf(`${directoryObject(id)}?x`)).toBe(id);
    expect(ownerIdOf("not a url")).toBeUndefined();
    const base = "https://graph.microsoft.com/v1.0/";
    const long = (length: number) => `${base}${"a".repeat(length - base.length - 54)}/directoryObjects/${id}`;
    expect(long(1024)).toHaveLength(1024);
    expect(ownerIdOf(long(1024))).toBe(id);
    expect(ownerIdOf(long(1025))).toBeUndefined();
    expect(ownerIdOf([directoryObject(id)])).toBeUndefined();
    expect(ownerIdOf(new URL(directoryObject(id)))).toBeUndefined();
  });

  it("takes up to 100 owners at creation, each a directory object reference, and names the owners when not", () => {
    const binds = (list: unknown) =>
      refusal(() => assertNewApplication({ displayName: "a", "owners@odata.bind": list }));
    const hundred = Array.from({ length: 100 }, (_, i) => directoryObject(guid(i)));
    expect(binds(hundred)).toBeUndefined();
    expect(binds([...hundred, directoryObject(id)])).toEqual(invalid("owners", "Application"));
    expect(binds(directoryObject(id))).toEqual(invalid("owners", "Application"));
    expect(binds([directoryObject(id), "https://graph.microsoft.com/v1.0/users/x"])).toEqual(
      invalid("owners", "Application"),
    );
  });

  it("refuses an owner reference without a directory object URL, naming @odata.id", () => {
    expect(ownerReference({ "@odata.id": directoryObject(id) })).toBe(id);
    expect(refusal(() => ownerReference({ "@odata.id": "https://graph.microsoft.com/v1.0/users/x" }))).toEqual(
      invalid("@odata.id", "DirectoryObject"),
    );
    expect(refusal(() => ownerReference({ "@odata.id": [directoryObject(id)] }))).toEqual(
      invalid("@odata.id", "DirectoryObject"),
    );
  });
});

describe("a key credential's key and dates", () => {
  const credential = (over: Record<string, unknown>) =>
    refusal(() => assertApplicationPatch({ keyCredentials: [{ key: "AAAA", ...over }] }));

  it("takes a key of standard, padded base64 only, up to 128 KiB of text", () => {
    for (const key of ["AAAA", "AAA=", "AA==", "ab+/", "A".repeat(100_000)])
      expect(credential({ key }), key.slice(0, 8)).toBeUndefined();
    for (const key of ["", "AAA", "A===", "!!!!AAAA", "AAAA!!!!", "AAAA=", "ab-_"])
      expect(credential({ key }), key).toEqual(invalid("key", "KeyCredential"));
  });

  it("refuses a customKeyIdentifier that is no string or longer than 1024 characters", () => {
    expect(credential({ customKeyIdentifier: "C".repeat(1024) })).toBeUndefined();
    expect(credential({ customKeyIdentifier: "C".repeat(1025) })).toEqual(
      invalid("customKeyIdentifier", "KeyCredential"),
    );
    expect(credential({ customKeyIdentifier: 7 })).toEqual(invalid("customKeyIdentifier", "KeyCredential"));
  });

  it("takes a date only as Graph's DateTimeOffset text: no expanded year, no list holding one", () => {
    expect(credential({ startDateTime: "2026-01-01T00:00:00Z" })).toBeUndefined();
    expect(credential({ startDateTime: "+002026-01-01T00:00:00Z" })).toEqual(invalid("startDateTime", "KeyCredential"));
    expect(credential({ startDateTime: ["2026-01-01T00:00:00Z"] })).toEqual(invalid("startDateTime", "KeyCredential"));
  });
});

describe("a loaded state file at its limits", () => {
  const stateWith = (app: Record<string, unknown>) => loadedState({ app });

  it("takes up to 100 owners, each a GUID, and names the owners when not", async () => {
    const owners = Array.from({ length: 100 }, (_, i) => guid(i));
    expect(stateProblem(await stateWith({ owners }))).toBeUndefined();
    const problem = "application 1: Invalid value specified for property 'owners' of resource 'Application'.";
    expect(stateProblem(await stateWith({ owners: [...owners, id] }))).toBe(problem);
    expect(stateProblem(await stateWith({ owners: id }))).toBe(problem);
    expect(stateProblem(await stateWith({ owners: ["x"] }))).toBe(problem);
  });

  it("names the key of a credential whose key is no text", async () => {
    const s = await stateWith({});
    const app = s.applications[0] as { keyCredentials: Record<string, unknown>[] };
    app.keyCredentials = [{ ...app.keyCredentials[0], key: 7 }];
    expect(stateProblem(s)).toBe(
      "application 1: Invalid value specified for property 'key' of resource 'KeyCredential'.",
    );
  });

  it("names an entry that is no object by its list, not by a property it lacks", () => {
    expect(stateProblem({ applications: ["x"], servicePrincipals: [], appRoleAssignments: [] })).toBe(
      "application 1: Invalid value specified for property 'application' of resource 'DirectoryState'.",
    );
  });

  it("passes on an error that is no directory problem: a fault in the check, not in the file", async () => {
    const s = await stateWith({});
    s.servicePrincipals = [
      {
        ...(s.servicePrincipals[0] as object),
        get createdDateTime(): string {
          throw new TypeError("a getter that fails");
        },
      },
    ];
    expect(() => stateProblem(s)).toThrow(TypeError);
  });
});
