import {
  type ClientAssertionCallback,
  ConfidentialClientApplication,
  type INetworkModule,
  LogLevel,
  type NetworkRequestOptions,
} from "@azure/msal-node";
import { CodedError } from "../common/errors";
import { tlsTrustFailure } from "../common/https";
import { isRecord } from "../common/json";
import { redact } from "../common/redact";
import { signedAssertion } from "./assertion";
import { type Backoff, backoffDelay, defaultBackoff, pollDelay, retryAfterMs } from "./backoff";
import { diagnose } from "./diagnosis";
import { formatSeconds } from "./duration";
import { AuthenticationError, DeadlineError } from "./errors";
import type { ClientInputs } from "./inputs";
import { networkClient } from "./networkClient";
import type { Preflight } from "./preflight";
import { classifyVaultFailure, VaultCallError, type VaultFailure } from "./vaultFailure";

/** One try at a token, as reported. */
export interface Attempt {
  attempt: number;
  ms: number;
  outcome: "token" | "retry" | "failed";
  reason: string;
  waitMs?: number;
}

/** Time and waiting, injected so that tests never wait for real. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface AcquireRequest {
  inputs: ClientInputs;
  preflight: Preflight;
  thumbprint: "sha256" | "sha1";
  /** Epoch milliseconds by which to give up. */
  deadline: number;
  /** Roles still missing from a token, so that waiting for them counts as transient. */
  missingRoles: (accessToken: string) => string[];
  onWait: (message: string) => void;
  backoff?: Backoff;
  clock?: Clock;
  /** Filled as attempts finish, so a failure still reports them. */
  attempts: Attempt[];
  /** Told each client assertion signed through Key Vault, so the run can scrub it like the token. */
  onSecret?: (secret: string) => void;
}

export interface Acquired {
  accessToken: string;
  attempts: Attempt[];
  /** The authority's JWKS address from the discovery document msal-node fetched, so the checks need not fetch it again. */
  jwksUri?: string;
}

/**
 * Acquires a token the way the real client will: msal-node, the certificate,
 * client credentials, no cache. Fails at once on what time cannot fix, and
 * until the deadline waits for what it can, in two ways:
 *
 * - Replication (a new app, service principal, credential or role grant not
 *   visible yet: AADSTS700016, 7000229, 700027 "key was not found", roles
 *   missing from the token) is polled at a steady second plus jitter: a
 *   token request costs the service almost nothing, the deadline bounds the
 *   total, and the credential is noticed within about 1.25 s of becoming
 *   usable, at no more than one request a second.
 * - 429 and 5xx (and network errors) back off exponentially, at least as long
 *   as Retry-After: there the service asked for room.
 */
export async function acquire(req: AcquireRequest): Promise<Acquired> {
  const clock = req.clock ?? realClock;
  const attempts = req.attempts;
  let lastToken: string | undefined;
  let jwksUri: string | undefined;
  let backoffs = 0;
  for (let attempt = 1; ; attempt++) {
    const remaining = req.deadline - clock.now();
    if (remaining <= 0) return giveUp(attempts, lastToken, jwksUri);
    const started = clock.now();
    const outcome = await tryOnce(req, remaining);
    const ms = clock.now() - started;
    jwksUri = outcome.jwksUri ?? jwksUri;
    if (outcome.token !== undefined) {
      lastToken = outcome.token;
      const missing = req.missingRoles(outcome.token);
      if (missing.length === 0) {
        attempts.push({ attempt, ms, outcome: "token", reason: "token issued" });
        return { accessToken: outcome.token, attempts, jwksUri };
      }
      outcome.reason = `token has no role ${missing.join(", ")} yet`;
      outcome.replication = true;
    } else if (!outcome.transient) {
      attempts.push({ attempt, ms, outcome: "failed", reason: outcome.reason });
      throw new AuthenticationError(outcome.reason, outcome.aadsts);
    }
    const waitMs = outcome.replication
      ? pollDelay(started, clock.now(), clock.random)
      : backoffDelay(++backoffs, req.backoff ?? defaultBackoff, outcome.retryAfterMs, clock.random);
    attempts.push({ attempt, ms, outcome: "retry", reason: outcome.reason, waitMs });
    if (clock.now() + waitMs >= req.deadline) return giveUp(attempts, lastToken, jwksUri);
    req.onWait(`${outcome.reason}, attempt ${attempt}, retrying in ${formatSeconds(waitMs)}`);
    await clock.sleep(waitMs);
  }
}

/** A token that never got its roles is still returned, so the checks can say which role is missing. */
function giveUp(attempts: Attempt[], lastToken: string | undefined, jwksUri: string | undefined): Acquired {
  if (lastToken !== undefined) return { accessToken: lastToken, attempts, jwksUri };
  const last = attempts.at(-1)?.reason ?? "no attempt finished";
  throw new DeadlineError(
    `gave up at the deadline after ${attempts.length} attempt(s); last: ${last}; raise --timeout or look at the cause`,
  );
}

export interface Outcome {
  token?: string;
  transient: boolean;
  /** Transient because replication has not caught up: polled, not backed off. */
  replication?: boolean;
  reason: string;
  aadsts?: number;
  retryAfterMs?: number;
  jwksUri?: string;
}

/**
 * One token request, no retries: for probes that want to know whether a
 * credential works right now (the rehearsal's rotation).
 */
export async function requestToken(
  inputs: ClientInputs,
  preflight: Preflight,
  thumbprint: "sha256" | "sha1",
  timeoutMs: number,
  onSecret?: (secret: string) => void,
): Promise<Outcome> {
  return tryOnce(
    {
      inputs,
      preflight,
      thumbprint,
      deadline: Date.now() + timeoutMs,
      missingRoles: () => [],
      onWait: () => undefined,
      attempts: [],
      onSecret,
    },
    timeoutMs,
  );
}

async function tryOnce(req: AcquireRequest, remainingMs: number): Promise<Outcome> {
  const timeoutMs = attemptTimeoutMs(remainingMs);
  const recorder = recording(networkClient({ ca: req.inputs.caPem, timeoutMs }));
  // A new application per attempt: msal-node remembers a 429/5xx answer as a
  // throttle for 60 s (or Retry-After) and would answer from that instead of
  // asking again (msal-common docs/throttling.md; ThrottlingUtils.ts,
  // DEFAULT_THROTTLE_TIME_SECONDS = 60).
  const app = clientApplication(req, recorder);
  try {
    const result = await withTimeout(
      app.acquireTokenByClientCredential({ scopes: [req.inputs.scope], skipCache: true }),
      timeoutMs,
    );
    if (!result?.accessToken) return { transient: true, reason: "no token in the answer" };
    return { token: result.accessToken, transient: false, reason: "token issued", jwksUri: recorder.last.jwksUri };
  } catch (err) {
    return classify(err, recorder.last);
  }
}

function clientApplication(
  req: AcquireRequest,
  recorder: { client: INetworkModule; last: LastResponse },
): ConfidentialClientApplication {
  const { inputs } = req;
  return new ConfidentialClientApplication({
    auth: {
      clientId: inputs.clientId,
      authority: `${inputs.authorityHost}/${inputs.tenantId}`,
      // A known authority is trusted as given: msal-node then fetches only its
      // openid-configuration and skips instance discovery, which only
      // Microsoft's hosts answer (msal-node docs/configuration.md, `knownAuthorities`).
      knownAuthorities: [new URL(inputs.authorityHost).host],
      ...credential(req, recorder.last),
    },
    system: {
      networkClient: recorder.client,
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  });
}

/**
 * The application's credential: the certificate and its local key, as
 * msal-node signs with them; or, when Key Vault holds the key, an assertion
 * callback. msal-node calls the callback (`auth.clientAssertion`) with the
 * token endpoint it will post to (msal-node `ClientApplication.ts`,
 * `getClientAssertion`: `authority.tokenEndpoint`), which is the assertion's
 * audience; the assertion is built here as msal-node builds its own and Key
 * Vault signs its digest.
 */
function credential(
  req: AcquireRequest,
  last: LastResponse,
):
  | { clientCertificate: { thumbprint?: string; thumbprintSha256?: string; privateKey: string } }
  | {
      clientAssertion: ClientAssertionCallback;
    } {
  const { inputs, preflight } = req;
  const { signer, key } = preflight;
  if (signer) {
    const clock = req.clock ?? realClock;
    const keyId = inputs.keyVault?.key.id ?? "the vault key";
    return {
      clientAssertion: async (config) => {
        try {
          const assertion = await signedAssertion(
            {
              clientId: inputs.clientId,
              audience: config.tokenEndpoint ?? `${inputs.authorityHost}/${inputs.tenantId}/oauth2/v2.0/token`,
              certificate: preflight.certificate,
              thumbprint: req.thumbprint,
              now: clock.now(),
            },
            signer,
          );
          req.onSecret?.(assertion);
          last.assertion = assertion;
          return assertion;
        } catch (err) {
          // msal-node passes the callback's error on; the classified failure is kept for classify().
          last.vault = err instanceof VaultCallError ? err.failure : classifyVaultFailure(err, keyId, "sign");
          throw err;
        }
      },
    };
  }
  if (!key) throw new TypeError("preflight has neither a private key nor a Key Vault signer");
  const privateKey = key.export({ format: "pem", type: "pkcs8" }).toString();
  return {
    clientCertificate:
      req.thumbprint === "sha256"
        ? { thumbprintSha256: preflight.thumbprint.sha256, privateKey }
        : { thumbprint: preflight.thumbprint.sha1, privateKey },
  };
}

interface LastResponse {
  /** A Key Vault call that failed while signing the assertion, already classified. */
  vault?: VaultFailure;
  /** The assertion Key Vault signed for this attempt: taken out of a message before it is cut to one line. */
  assertion?: string;
  status?: number;
  retryAfter?: string;
  /** AADSTS codes of an error answer, which msal-node drops when discovery fails. */
  errorCodes?: number[];
  errorDescription?: string;
  /** A request that got no HTTP answer; msal-node wraps it and loses the TLS code. */
  failure?: unknown;
  /** `jwks_uri` of the openid-configuration msal-node fetched. */
  jwksUri?: string;
}

/** Remembers the last response's status and Retry-After, and the last failure, which msal-node's errors do not carry. */
function recording(inner: INetworkModule): { client: INetworkModule; last: LastResponse } {
  const last: LastResponse = {};
  const note = <T extends { status: number; headers: Record<string, string>; body: unknown }>(res: T): T => {
    const body = isRecord(res.body) ? res.body : {};
    last.status = res.status;
    last.retryAfter = res.headers["retry-after"];
    last.errorCodes = Array.isArray(body.error_codes) ? body.error_codes.filter(Number.isInteger) : undefined;
    last.errorDescription = typeof body.error_description === "string" ? body.error_description : undefined;
    if (typeof body.jwks_uri === "string") last.jwksUri = body.jwks_uri;
    return res;
  };
  const failed = (err: unknown): never => {
    last.failure = err;
    throw err;
  };
  return {
    last,
    client: {
      sendGetRequestAsync: async <T>(url: string, opts?: NetworkRequestOptions, timeout?: number) =>
        note(await inner.sendGetRequestAsync<T>(url, opts, timeout).catch(failed)),
      sendPostRequestAsync: async <T>(url: string, opts?: NetworkRequestOptions) =>
        note(await inner.sendPostRequestAsync<T>(url, opts).catch(failed)),
    },
  };
}

interface MsalLikeError {
  errorNo?: string | number;
  errorCode?: string;
  errorMessage?: string;
  status?: number;
  message?: string;
  name?: string;
}

function classify(err: unknown, last: LastResponse): Outcome {
  if (last.vault)
    return { transient: last.vault.transient, reason: last.vault.reason, retryAfterMs: last.vault.retryAfterMs };
  const e: MsalLikeError = isRecord(err) ? err : {};
  const untrusted = tlsTrustFailure(last.failure) ?? tlsTrustFailure(err);
  if (untrusted)
    return {
      transient: false,
      reason: `the authority's TLS certificate is not trusted (${untrusted}): pass the CA that issued it with --ca-file <pem> (for the local Entra ID, the ca.pem beside its state file); waiting will not fix this`,
    };
  const status = e.status ?? last.status;
  if (status === 429 || (status !== undefined && status >= 500)) {
    return { transient: true, reason: `service answered HTTP ${status}`, retryAfterMs: retryAfterMs(last.retryAfter) };
  }
  const errorNo = e.errorNo ?? last.errorCodes?.[0];
  if (errorNo !== undefined && /^\d+$/.test(String(errorNo))) {
    const code = Number(errorNo);
    const d = diagnose(code, e.errorMessage ?? last.errorDescription ?? "");
    if (d.transient)
      return { transient: true, replication: true, reason: `${d.meaning} (AADSTS${code})`, aadsts: code };
    return { transient: false, reason: `AADSTS${code}: ${d.meaning}; ${d.fix}`, aadsts: code };
  }
  if (isNetworkError(e, last.failure)) return { transient: true, reason: `network error (${e.errorCode ?? e.name})` };
  return {
    transient: false,
    reason: `${e.errorCode ?? e.name ?? "error"}: ${firstLine(redact(e.errorMessage ?? e.message ?? "unknown error", [last.assertion]))}`,
  };
}

function isNetworkError(e: MsalLikeError, failure: unknown): boolean {
  return (
    failure !== undefined ||
    e.name === "HttpTimeoutError" ||
    e.name === "AttemptTimeoutError" ||
    /network_error|endpoints_resolution_error|openid_config_error/i.test(e.errorCode ?? "") ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up/.test(e.message ?? "")
  );
}

const firstLine = (text: string) => text.replace(/\n[\s\S]*$/, "").slice(0, 300);

/**
 * One attempt's own limit: what is left of the deadline, at most 30 s. The
 * cap also keeps it within setTimeout's range (2^31-1 ms), past which Node
 * warns and fires after 1 ms, which turned every attempt into a timeout.
 */
export const attemptTimeoutMs = (remainingMs: number): number => Math.max(1, Math.min(remainingMs, 30_000));

/** One attempt got no answer within its own limit; transient, as a network error is. */
class AttemptTimeoutError extends CodedError {
  static override readonly code = "ERR_ATTEMPT_TIMEOUT";
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
