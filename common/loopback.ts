import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { type LockOptions, lockState } from "./lock";

/**
 * Locks `<state>.lock` for the server's life and runs `open` with the lock's release; if `open` throws,
 * the lock is released and the error rethrown, so a refused start leaves nothing held.
 */
export async function withStateLock<T>(
  state: string,
  options: LockOptions,
  open: (release: () => void) => Promise<T>,
): Promise<T> {
  const lock = lockState(state, options);
  try {
    return await open(lock.release);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** A server bound on 127.0.0.1 whose state was written. */
export interface Bound<T> {
  /** What `save` returned. */
  saved: T;
  port: number;
  /** The address it listens on: always 127.0.0.1. */
  address: string;
  /** Closes the server (once, however often called), then releases the state lock. */
  stop(): Promise<void>;
}

/**
 * Binds `server` on 127.0.0.1 only (`port` 0 or absent picks a free one), then runs `save`: the writes come
 * after the bind, so a taken port leaves the folder as it was. If `save` throws, the server is closed and
 * the error rethrown (the caller's lock is released by withStateLock).
 */
export async function listenLoopback<T>(
  server: Server,
  port: number | undefined,
  save: () => T,
  release: () => void,
): Promise<Bound<T>> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 0, "127.0.0.1", () => resolve());
  });
  let saved: T;
  try {
    saved = save();
  } catch (err) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    throw err;
  }
  const address = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    saved,
    port: address.port,
    address: address.address,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => {
          release();
          resolve();
        });
        // Hung and keep-alive connections would hold close() open forever.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
