/** What a tier's failure becomes: a miss or a write the other tiers kept (reported), or a BackendError (thrown). */

import { BackendError } from '../../errors.ts';
import type { CacheBackend } from '../contract.ts';
import { backendFailure } from '../kit/index.ts';
import type { TierSlot } from './tiers.ts';

/** A tier's failure, held until the operation decides to go past it (`onError`) or throw it. */
export class TierFailed {
  constructor(readonly error: BackendError) {}
}

/** Runs `run` on a tier; a throw or rejection comes back as a TierFailed. */
export async function tryOn<T>(
  slot: TierSlot,
  operation: string,
  run: (backend: CacheBackend) => Promise<T>,
): Promise<T | TierFailed> {
  try {
    return await run(slot.backend);
  } catch (error) {
    return new TierFailed(tierFailure(slot, operation, error));
  }
}

/** Runs `run` on every tier of `slots` at once; each failure goes to `failures` and its result is undefined. */
export async function onEach<T>(
  slots: readonly TierSlot[],
  operation: string,
  run: (backend: CacheBackend) => Promise<T>,
  failures: BackendError[],
): Promise<(T | undefined)[]> {
  const results = await Promise.all(slots.map((slot) => tryOn(slot, operation, run)));
  return results.map((result) => {
    if (!(result instanceof TierFailed)) return result;
    failures.push(result.error);
    return undefined;
  });
}

/** The BackendError for a tier's failure in `operation`, with the tier's own error as `cause`. */
export function tierFailure(slot: TierSlot, operation: string, error: unknown): BackendError {
  const { name } = slot.backend;
  return backendFailure(
    name,
    `Tier ${slot.index + 1} (${name}) of a TieredCache failed in ${operation}`,
    error,
  );
}

/**
 * One error for the tiers that failed an operation, thrown once the others finished: the failure
 * itself, or a BackendError with every failure in an AggregateError as `cause`. `outcome` says
 * what became of the operation on the other tiers.
 */
export function combinedFailure(
  failures: readonly BackendError[],
  operation: string,
  outcome: string,
): BackendError {
  const fix =
    'Fix or remove the failing tier (a tier given `readOnly: true` is left out of writes, delete, clear, prune and verify).';
  if (failures.length === 1) {
    const [failure] = failures;
    return new BackendError(failure!.backend, `${failure!.message}. ${outcome} ${fix}`, {
      cause: failure!.cause,
    });
  }
  const names = failures.map((failure) => failure.backend).join(', ');
  const each = failures.map((failure) => failure.message).join('; ');
  return new BackendError(
    names,
    `${failures.length} tiers of a TieredCache failed in ${operation}: ${each}. ${outcome} ${fix}`,
    {
      cause: new AggregateError(failures, `${operation} failed in ${failures.length} tiers`),
    },
  );
}

/** Where the failures a TieredCache goes past are sent: `onError`, else one process warning per tier. */
export class FailureReporter {
  readonly #warned = new Set<TierSlot>();

  constructor(readonly onError: ((error: BackendError) => void) | undefined) {}

  report(slot: TierSlot, error: BackendError): void {
    if (this.onError !== undefined) {
      this.onError(error);
      return;
    }
    if (this.#warned.has(slot)) return;
    this.#warned.add(slot);
    process.emitWarning(
      `memoflow: ${error.message}. Reads go on to the next tier and writes to the others; later failures of this tier are not reported (pass \`onError\` to TieredCache to see each).`,
      { code: 'MEMOFLOW_BACKEND' },
    );
  }

  /** Runs a read (or a promotion) on one tier; a failure is reported and comes back as a TierFailed. */
  async read<T>(
    slot: TierSlot,
    operation: string,
    run: (backend: CacheBackend) => Promise<T>,
  ): Promise<T | TierFailed> {
    const result = await tryOn(slot, operation, run);
    if (result instanceof TierFailed) this.report(slot, result.error);
    return result;
  }

  /**
   * Writes to every tier of `writable` at once. Failures are reported when another tier kept the
   * write, and thrown together when none did. A tier that failed a store of `key` has the key
   * deleted, if it can be: its older value must not be served instead of the one the others hold.
   */
  async writeThrough(
    writable: readonly TierSlot[],
    operation: string,
    key: string | undefined,
    run: (backend: CacheBackend) => Promise<void>,
  ): Promise<void> {
    const results = await Promise.all(writable.map((slot) => tryOn(slot, operation, run)));
    const failed = writable.filter((_, i) => results[i] instanceof TierFailed);
    if (failed.length === 0) return;
    if (key !== undefined)
      await Promise.all(failed.map((slot) => tryOn(slot, 'delete', (backend) => backend.delete(key))));
    const errors = results.flatMap((result) => (result instanceof TierFailed ? [result.error] : []));
    if (failed.length === writable.length) throw combinedFailure(errors, operation, 'No tier stored it.');
    for (const [i, slot] of failed.entries()) this.report(slot, errors[i]!);
  }
}
