import { describe, expect, it } from "vitest";
import { dispatch, findRoute, type Route, route } from "../../common/routeTable";

type Seen = string[];
const table: Route<Seen>[] = [
  route("GET", "applications", (seen) => void seen.push("list")),
  route("GET", "applications/:id", (seen, { id }) => void seen.push(`get ${id}`)),
  route(
    "DELETE",
    "applications/:id/owners/:ownerId/$ref",
    (seen, { id, ownerId }) => void seen.push(`${id} ${ownerId}`),
  ),
  route(
    "*",
    ":tenant/kerberos",
    (seen, { tenant }) => void seen.push(`kerberos ${tenant}`),
    (_, { tenant }) => tenant === "common",
  ),
  route("*", "applications/:id", (seen) => void seen.push("any method")),
];
const segments = (path: string) => path.split("/").filter(Boolean);

describe("a route table", () => {
  it("runs the first row whose method and pattern fit, with the pattern's parameters", async () => {
    const seen: Seen = [];
    expect(await dispatch(table, seen, "GET", segments("applications"))).toBe(true);
    expect(await dispatch(table, seen, "GET", segments("applications/a1"))).toBe(true);
    expect(await dispatch(table, seen, "DELETE", segments("applications/a1/owners/o1/$ref"))).toBe(true);
    expect(seen).toEqual(["list", "get a1", "a1 o1"]);
  });

  it("matches a path only against patterns of its length, literal segments exactly as sent", () => {
    expect(findRoute(table, [], "GET", segments("applications/a1/extra"))).toBeUndefined();
    expect(findRoute(table, [], "GET", segments("Applications"))).toBeUndefined();
    expect(findRoute(table, [], "GET", [])).toBeUndefined();
  });

  it("passes a wrong method on to a row for any method, or to none", async () => {
    const seen: Seen = [];
    expect(await dispatch(table, seen, "PATCH", segments("applications/a1"))).toBe(true);
    expect(await dispatch(table, seen, "POST", segments("applications"))).toBe(false);
    expect(seen).toEqual(["any method"]);
  });

  it("skips a row whose condition on its parameters fails", async () => {
    const seen: Seen = [];
    expect(await dispatch(table, seen, "POST", segments("common/kerberos"))).toBe(true);
    expect(await dispatch(table, seen, "POST", segments("contoso/kerberos"))).toBe(false);
    expect(seen).toEqual(["kerberos common"]);
  });

  it("hands an empty segment to a parameter as it is", () => {
    expect(findRoute(table, [], "GET", ["applications", ""])?.params).toEqual({ id: "" });
  });
});
