/**
 * memoflow quickstart: memoize a slow function on disk.
 *
 * Run it twice. The first run computes; the second is served from `.memoflow/` in the working
 * directory (or `$MEMOFLOW_CACHE_DIR`), because the function's code, environment and arguments are unchanged. Edit `score`
 * or `WEIGHTS` below and run again: only the calls whose code changed are recomputed.
 */
import { DiskCache, func } from '@memoflow/core';

const cache = new DiskCache();

const WEIGHTS = { length: 2, vowels: 3 };

function vowels(word: string): number {
  return word.match(/[aeiou]/g)?.length ?? 0;
}

/** Pretend this is expensive: a model call, a big query, a build step. */
export const score = func({ cache }, async (word: string): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return word.length * WEIGHTS.length + vowels(word) * WEIGHTS.vowels;
});

let hits = 0;
for (const word of ['memo', 'flow', 'signature']) {
  // The signature says where the result is stored, without running anything.
  const { key } = await score.signature(word);
  const hit = await cache.has(key);
  if (hit) hits++;
  const started = performance.now();
  const value = await score(word);
  const ms = performance.now() - started;
  console.log(
    `score(${JSON.stringify(word)}) = ${value}  ${hit ? 'hit ' : 'miss'}  ${ms.toFixed(1)} ms  key ${key.slice(0, 12)}…`,
  );
}
console.log(`\n${hits}/3 from cache.`);
console.log(
  hits === 3
    ? 'Edit score() or WEIGHTS and run again to see only what changed recompute.'
    : 'Run again: every call will be a hit.',
);
