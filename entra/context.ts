import type { DirectoryAdmin } from "./admin";
import type { FaultQueue } from "./faults";
import type { SigningKey } from "./token";

/** Everything the routes need; `host` is known only once the server listens. */
export interface EntraContext {
  admin: DirectoryAdmin;
  /** The bearer key `/graph/...` and `/_local/...` requests must carry. */
  adminKey: string;
  signing: SigningKey & { jwk: Record<string, unknown>; certificateDerBase64: string };
  host: () => string;
  delayMs: number;
  faults: FaultQueue;
  now: () => Date;
  /** Where unexpected errors are reported (never with request content); stderr by default. */
  log?: (line: string) => void;
}
