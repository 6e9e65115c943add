/**
 * The test suite every memoflow cache backend runs: one `describe` per concern, each with a
 * fresh backend per test, random hex keys and random node names.
 *
 * @example
 * import { describeCacheBackend } from '@memoflow/conformance';
 * describeCacheBackend('DiskCache', () => new DiskCache({ dir: mkdtempSync(join(tmpdir(), 'memoflow-')) }));
 */
import { describe } from 'vitest';
import type { BackendFactory, BoundedBackendFactory } from './_backend.ts';
import { basicTests } from './basic.ts';
import { batchTests } from './batch.ts';
import { boundsTests } from './bounds.ts';
import { closeTests } from './close.ts';
import { concurrencyTests } from './concurrency.ts';
import { historyTests } from './history.ts';
import { iteratorTests } from './iterator.ts';
import { managementTests } from './management.ts';
import { metaTests } from './meta.ts';
import { savedTimeTests } from './saved-time.ts';
import { ttlTests } from './ttl.ts';

export type { BackendFactory, BackendLimits, BoundedBackendFactory } from './_backend.ts';
export type { SavedTimeBackends } from './saved-time.ts';
export {
  basicTests,
  batchTests,
  boundsTests,
  closeTests,
  concurrencyTests,
  historyTests,
  iteratorTests,
  managementTests,
  metaTests,
  savedTimeTests,
  ttlTests,
};

export interface ConformanceOptions {
  /**
   * Whether the backend honours `EntryInfo.ttl`; set false for one that cannot expire entries.
   * @default true
   */
  ttl?: boolean;
  /**
   * Makes a fresh, empty backend (like `create`) that enforces `maxEntries` and `maxBytes` on
   * every write, least recently used first; the `bounds` tests run only when it is given.
   * @default undefined (the backend has no limits to test)
   * @example
   * bounded: ({ maxEntries, maxBytes }) => new DiskCache({ dir: freshDir(), maxEntries, maxBytes })
   */
  bounded?: BoundedBackendFactory;
}

/**
 * Registers the whole suite under `describe(name)`. `create` must return a fresh, empty backend
 * whose storage no other test uses (its own directory, database or key prefix); each test clears
 * and closes its backend after (bounded ones too). A meta-test checks that every class implementing
 * `CacheBackend` has a test file calling this with the class named in the call.
 */
export function describeCacheBackend(
  name: string,
  create: BackendFactory,
  options: ConformanceOptions = {},
): void {
  describe(name, () => {
    basicTests(create);
    metaTests(create);
    batchTests(create);
    if (options.ttl !== false) ttlTests(create);
    iteratorTests(create);
    managementTests(create);
    concurrencyTests(create);
    if (options.bounded !== undefined) boundsTests(options.bounded);
    historyTests(create);
    closeTests(create);
  });
}
