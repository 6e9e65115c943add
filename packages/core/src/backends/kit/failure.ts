/** The one way a backend wraps a failure of what it stands on (a file system, a server, a store). */
import { BackendError } from '../../errors.ts';

/** The message of a caught failure: an Error's message, else the value as text. */
export function reasonOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * A BackendError of `backend` whose message is `what` (what failed, and where: "Cannot store
 * entry … of node `x`", "Redis at redis://host:6379 failed on SCAN") followed by the cause's own
 * message, and whose `cause` is the failure itself.
 *
 * @example
 * throw backendFailure('disk', `Cannot open the index at ${path}`, error);
 */
export function backendFailure(backend: string, what: string, cause: unknown): BackendError {
  return new BackendError(backend, `${what}: ${reasonOf(cause)}`, { cause });
}
