/**
 * A TieredCache hit served by its memory tier against the same hit in a bare MemoryCache: through
 * func() (the hit is a `peek`) and through `getBlob` (a copy of the stored bytes). Goal: ≤ 1.2x.
 * What a TieredCache adds to a `getBlob` hit is one async call awaiting the tier's: a fixed cost,
 * which the smaller value shows most.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCache, func, MemoryCache, TieredCache } from '../packages/core/src/index.ts';
import { compare, report } from './_harness.ts';

const dir = fs.mkdtempSync(join(tmpdir(), 'memoflow-bench-tiered-'));
const disk = new DiskCache({ dir });
const memory = new MemoryCache();
const tieredMemory = new MemoryCache();
const tiered = new TieredCache([tieredMemory, disk]);

const twoArgs = async (n: number, s: string) => n + s.length;
const plain = func({ cache: memory }, twoArgs);
const throughTiers = func({ cache: tiered }, twoArgs);
await plain(42, 'abc');
await throughTiers(42, 'abc');

report(
  'Hit through func(), args (42, "abc"): TieredCache([memory, disk]) vs MemoryCache',
  await compare([
    { name: 'MemoryCache', fn: () => plain(42, 'abc') },
    { name: 'TieredCache, memory tier', fn: () => throughTiers(42, 'abc') },
  ]),
);

for (const [size, key] of [
  [1024, 'ab'.repeat(32)],
  [64, 'cd'.repeat(32)],
] as const) {
  const value = new Uint8Array(size).fill(7);
  await memory.setBlob(key, value, { node: 'bench' });
  await tiered.setBlob(key, value, { node: 'bench' });
  report(
    `Hit through getBlob, ${size} bytes: TieredCache([memory, disk]) vs MemoryCache`,
    await compare([
      { name: 'MemoryCache', fn: () => memory.getBlob(key) },
      { name: 'TieredCache, memory tier', fn: () => tiered.getBlob(key) },
    ]),
  );
}

await tiered.close();
await memory.close();
fs.rmSync(dir, { recursive: true, force: true });
