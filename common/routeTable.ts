/**
 * The local servers' routes as tables: a method, a path pattern and a
 * handler per row, matched in order, so a reader finds every route a server
 * answers in one list instead of in chains of path tests.
 *
 * A pattern is the path's segments joined by `/`, without the leading one:
 * a segment is literal, or `:name`, which matches any one segment and hands
 * it to the handler as `params.name`. Segments are compared as sent (not
 * decoded, case kept), and a path matches only a pattern of its length.
 */

/** The parameters a pattern names: `applications/:id/owners` gives `{ id: string }`. */
export type Params<P extends string> = P extends `${infer Head}/${infer Rest}` ? Param<Head> & Params<Rest> : Param<P>;
type Param<S extends string> = S extends `:${infer Name}` ? Record<Name, string> : unknown;

/** One row: `method` is an HTTP method, or `*` for a route that answers every method itself. */
export interface Route<T> {
  method: string;
  pattern: string;
  handle(request: T, params: Record<string, string>): Promise<void> | void;
  /** A further condition on the parameters (a GUID, a known tenant); a row whose condition fails does not match. */
  when?(request: T, params: Record<string, string>): boolean;
}

/** A row, with its handler's parameters typed from the pattern. */
export function route<T, P extends string>(
  method: string,
  pattern: P,
  handle: (request: T, params: Params<P>) => Promise<void> | void,
  when?: (request: T, params: Params<P>) => boolean,
): Route<T> {
  const typed = (params: Record<string, string>) => params as Params<P>;
  return {
    method,
    pattern,
    handle: (request, params) => handle(request, typed(params)),
    ...(when ? { when: (request: T, params: Record<string, string>) => when(request, typed(params)) } : {}),
  };
}

/** The first row whose method, pattern and condition fit the request, with its parameters; undefined when none does. */
export function findRoute<T>(
  table: readonly Route<T>[],
  request: T,
  method: string | undefined,
  segments: readonly string[],
): { route: Route<T>; params: Record<string, string> } | undefined {
  for (const row of table) {
    if (row.method !== "*" && row.method !== method) continue;
    const params = matchPattern(row.pattern, segments);
    if (params && (row.when?.(request, params) ?? true)) return { route: row, params };
  }
  return undefined;
}

function matchPattern(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const wanted = pattern === "" ? [] : pattern.split("/");
  if (wanted.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, want] of wanted.entries()) {
    const got = segments[i] ?? "";
    if (want.startsWith(":")) params[want.slice(1)] = got;
    else if (want !== got) return undefined;
  }
  return params;
}

/** Finds the request's row and runs it; false when no row fits, for the caller to answer in its service's shape. */
export async function dispatch<T>(
  table: readonly Route<T>[],
  request: T,
  method: string | undefined,
  segments: readonly string[],
): Promise<boolean> {
  const found = findRoute(table, request, method, segments);
  if (!found) return false;
  await found.route.handle(request, found.params);
  return true;
}
