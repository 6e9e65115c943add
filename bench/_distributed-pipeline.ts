/**
 * The pipelines of distributed.bench.ts. A module of its own because the worker processes load
 * it by path (packages/bullmq/test/fixtures/worker.ts <this file> … <export name>): the
 * coordinator and its workers must derive the same keys from the same code.
 */
import { func, Pipeline } from '@memoflow/core';

/** Nodes of the CPU-bound fan-out, and of the trivial chain and fan-out. */
export const CPU_NODES = 32;
export const TRIVIAL_NODES = 50;

/**
 * Synchronous busy computation: `rounds` rounds of an xorshift-and-multiply mix, its result
 * returned so that nothing can be skipped. The time it takes is linear in `rounds`.
 */
export function burn(seed: number, rounds: number): number {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let acc = 0;
  for (let i = 0; i < rounds; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    acc = (Math.imul(acc, 31) + (x >>> 0)) | 0;
  }
  return acc;
}

/** The fan-out's root: what every CPU node reads (one trivial node before the 32). */
const job = func({ output: 'job' }, (seed: number, rounds: number) => ({ seed, rounds }));

/**
 * A fan-out of 32 CPU-bound nodes (`cpu0` … `cpu31`), each burning `rounds` on a seed of its
 * own: no two share a key. `rounds` is calibrated by the bench to ≈200 ms.
 */
export const cpuFanOut = new Pipeline([
  job,
  ...Array.from({ length: CPU_NODES }, (_, i) =>
    func({ output: `cpu${i}`, inputs: ['job'], captures: { i } }, (job: { seed: number; rounds: number }) =>
      burn(job.seed * 1_000 + i, job.rounds),
    ),
  ),
]);

/** A chain of 50 trivial nodes, `step0` … `step49`, each taking the one before: 50 dispatches one after another. */
export const trivialChain = new Pipeline(
  Array.from({ length: TRIVIAL_NODES }, (_, i) =>
    func({ output: `step${i}`, inputs: [i === 0 ? 'seed' : `step${i - 1}`] }, (x: number) => x + 1),
  ),
);

/** A fan-out of 50 trivial nodes, `leaf0` … `leaf49`, all from `seed`: 50 dispatches at once. */
export const trivialFanOut = new Pipeline(
  Array.from({ length: TRIVIAL_NODES }, (_, i) =>
    func({ output: `leaf${i}`, inputs: ['seed'], captures: { i } }, (seed: number) => seed * 100 + i),
  ),
);

/** `count` numbers (up to 1,000,000 of them, no two seeds sharing one) → each doubled, cached item by item (the executor batches items into tasks) → their sum. */
const numbers = func({ output: 'numbers' }, (seed: number, count: number) =>
  Array.from({ length: count }, (_, i) => seed * 1_000_000 + i),
);
const doubled = func({ output: 'doubled', map: 'numbers' }, (numbers: number) => numbers * 2);
const sum = func({ output: 'sum' }, (doubled: number[]) => doubled.reduce((a, b) => a + b, 0));
export const bigMap = new Pipeline([numbers, doubled, sum]);

/**
 * The same work as `bigMap` in tasks of `size` items: a map over chunks (cached chunk by chunk,
 * not item by item). What caching per chunk instead of per item costs.
 */
const chunks = func({ output: 'chunks' }, (seed: number, count: number, size: number) =>
  Array.from({ length: Math.ceil(count / size) }, (_, c) =>
    Array.from({ length: Math.min(size, count - c * size) }, (_, i) => seed * 1_000_000 + c * size + i),
  ),
);
const doubledChunks = func({ output: 'doubledChunks', map: 'chunks' }, (chunks: number[]) =>
  chunks.map((n) => n * 2),
);
const chunkSum = func({ output: 'chunkSum' }, (doubledChunks: number[][]) =>
  doubledChunks.reduce((total, chunk) => chunk.reduce((a, b) => a + b, total), 0),
);
export const chunkedMap = new Pipeline([chunks, doubledChunks, chunkSum]);
