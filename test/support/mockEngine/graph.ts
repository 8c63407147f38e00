import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { DirectoryAdmin } from "../../../entra/admin";
import type { EntraContext } from "../../../entra/context";
import { faultQueue } from "../../../entra/faults";
import { createHandler } from "../../../entra/routes";
import type { Plain } from "../../../rehearsal/engine/wire";
import { type GraphCall, type GraphTransport, graphOver } from "../../../rehearsal/providers/graph";

/** Where the program tests' Graph says it is: owner references point here (only their path is read). */
export const inProcessAuthority = "https://localhost";

/**
 * The rehearsal's Graph client, its requests answered by the local Entra ID's own routes (entra/routes.ts
 * createHandler, which tests may drive without a port) over a directory in this process. So the program tests run
 * the rehearsal's azuread provider against the same Graph as the rehearsal, without a server, a port or TLS.
 */
export function inProcessGraph(admin: DirectoryAdmin): GraphCall {
  const adminKey = randomBytes(32).toString("base64url");
  const handle = createHandler({
    admin,
    adminKey,
    signing: noSigning,
    host: () => inProcessAuthority,
    delayMs: 0,
    faults: faultQueue(),
    now: () => new Date(),
  });
  const transport: GraphTransport = (method, path, headers, body) => {
    const { res, answered } = response();
    handle(request(method, `/graph/v1.0/${path}`, headers, body), res);
    return answered;
  };
  return graphOver(transport, adminKey);
}

/** Graph's admin routes sign nothing; a token route reached here would be a bug in the adapter, and says so. */
const noSigning = new Proxy({} as EntraContext["signing"], {
  get() {
    throw new Error("the program tests' Graph serves no tokens");
  },
});

function request(method: string, url: string, headers: Record<string, string>, body?: Plain): IncomingMessage {
  const chunks = body === undefined ? [] : [Buffer.from(JSON.stringify(body))];
  // Node hands a server lower-case header names.
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.assign(Readable.from(chunks), { method, url, headers: lower }) as unknown as IncomingMessage;
}

/** The parts of a ServerResponse that the routes' sendJson uses, resolving with the status and the JSON body. */
function response(): { res: ServerResponse; answered: Promise<{ status: number; body?: Plain }> } {
  let resolve: (answer: { status: number; body?: Plain }) => void = () => undefined;
  const answered = new Promise<{ status: number; body?: Plain }>((r) => {
    resolve = r;
  });
  let status = 0;
  const res = {
    headersSent: false,
    writeHead(code: number) {
      status = code;
      res.headersSent = true;
      return res;
    },
    end(text?: string) {
      resolve({ status, ...(text ? { body: JSON.parse(text) as Plain } : {}) });
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, answered };
}
