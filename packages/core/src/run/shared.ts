/**
 * Node computations in flight in this process, by cache and key: runs that need a node under the
 * same signature at the same time share one lookup and one computation, as concurrent calls of one
 * func() share one promise. An entry goes as soon as it settles, so a failure is never kept and a
 * later run finds the result in the cache.
 */
import type { CacheBackend } from '../backends/index.ts';
import { NodeFailedError } from '../errors.ts';

/** What a shared computation produced. */
export interface SharedResult {
  value: unknown;
  /** The content hash of the stored bytes; undefined when nothing was stored (it is hashed on demand). */
  outputHash: string | undefined;
  /** How long the computation took; undefined when it was a hit without a recorded compute time. */
  computeMs: number | undefined;
}

const inflight = new WeakMap<CacheBackend, Map<string, Promise<SharedResult>>>();

/**
 * Runs `work` for `key` in `backend`, unless a computation of that key in that cache is in flight
 * already: then waits for that one instead (`joined: true`). A failure reaches every run waiting.
 */
export async function shareComputation(
  backend: CacheBackend,
  key: string,
  work: () => Promise<SharedResult>,
): Promise<{ result: SharedResult; joined: boolean }> {
  let running = inflight.get(backend);
  if (running === undefined) {
    running = new Map();
    inflight.set(backend, running);
  }
  const current = running.get(key);
  if (current !== undefined) {
    try {
      return { result: await current, joined: true };
    } catch (error) {
      throw ownError(error);
    }
  }
  const promise = work();
  running.set(key, promise);
  const settle = () => running.delete(key);
  promise.then(settle, settle);
  return { result: await promise, joined: false };
}

/**
 * A failed run attaches its own report to the error it rejects with, so runs sharing one failure
 * each get an error of their own, with the same node, message and cause.
 */
function ownError(error: unknown): unknown {
  if (!(error instanceof NodeFailedError)) return error;
  return new NodeFailedError(error.node, error.message, { cause: error.cause });
}
