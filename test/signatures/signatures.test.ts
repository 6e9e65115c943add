import { afterAll, describe, expect, test } from 'vitest';
import { topics } from './cases/index.ts';
import { removeBuiltCore } from './core-package.ts';
import { runCase } from './harness.ts';

/**
 * Each case runs a small project in a fresh Node process, edits it, and runs it again with the same
 * DiskCache: a result read back after an edit that changes what runs is stale, a recomputation after
 * one that cannot is needless. Cases marked `knownStale` fail on today's engine and run as
 * `test.fails`, so one that starts passing turns red until its mark is removed.
 */

afterAll(removeBuiltCore);

for (const [topic, cases] of Object.entries(topics)) {
  describe(topic, () => {
    for (const signatureCase of cases) {
      const title = signatureCase.knownStale
        ? `${signatureCase.name} [known stale: ${signatureCase.knownStale}]`
        : signatureCase.name;
      const declare = signatureCase.knownStale ? test.concurrent.fails : test.concurrent;
      declare(title, () => runCase(signatureCase), 120_000);
    }
  });
}

test('the corpus has at least 100 cases, each named once', () => {
  const names = Object.values(topics).flatMap((cases) => cases.map((c) => c.name));
  expect(names.length).toBeGreaterThanOrEqual(100);
  expect(new Set(names).size).toBe(names.length);
});
