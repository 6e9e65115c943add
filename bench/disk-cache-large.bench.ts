/**
 * DiskCache with one 64 MiB value (a Float64Array of 8 Mi doubles) against the bare file system
 * floor. Hit: `getBlob` + `decodeEntry(v8Serializer)` against `fs.readFileSync` of a file holding
 * the same serialized bytes + `v8.deserialize` (goal ≤ 1.5x). Store: `setBlob` of the encoded entry
 * against a bare `writeFileSync` + `renameSync` of the same bytes. Median of 9 interleaved runs each.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { decodeEntry, encodeEntry, MISS } from '../packages/core/src/backend-kit.ts';
import { DiskCache, v8Serializer } from '../packages/core/src/index.ts';
import { compare, report } from './_harness.ts';

const ROUNDS = 9;
const LENGTH = (64 * 1024 * 1024) / Float64Array.BYTES_PER_ELEMENT;

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-bench-disk-large-'));
try {
  const value = Float64Array.from({ length: LENGTH }, (_, i) => i * 0.5);
  const entry = encodeEntry(value, v8Serializer, 'bench');
  const serialized = v8.serialize(value);
  const KEY = 'ab'.repeat(32);
  const disk = new DiskCache({ dir: join(root, 'memoflow') });
  const bareDir = join(root, 'bare');
  fs.mkdirSync(bareDir);
  const barePath = join(bareDir, 'value.v8');
  await disk.setBlob(KEY, entry, { node: 'bench' });
  fs.writeFileSync(barePath, serialized);

  // Both sides must read back the value, not merely some bytes.
  const check = (got: unknown, name: string) => {
    if (
      got === MISS ||
      !(got instanceof Float64Array) ||
      got.length !== LENGTH ||
      got[LENGTH - 1] !== value[LENGTH - 1]
    ) {
      throw new Error(`${name} did not read back the stored Float64Array`);
    }
  };
  check(decodeEntry((await disk.getBlob(KEY))!, v8Serializer), 'DiskCache');
  check(v8.deserialize(fs.readFileSync(barePath)), 'readFileSync + v8.deserialize');

  // The goal pair runs on its own: 64 MiB buffers make garbage collection land on whichever case
  // allocates next, so the bytes-only breakdown is a separate comparison.
  const BARE_HIT = 'fs.readFileSync + v8.deserialize';
  const hits = await compare(
    [
      { name: BARE_HIT, fn: () => v8.deserialize(fs.readFileSync(barePath)) },
      {
        name: 'DiskCache getBlob + decodeEntry',
        fn: async () => decodeEntry((await disk.getBlob(KEY))!, v8Serializer),
      },
    ],
    { rounds: ROUNDS },
  );
  report(`hit, 64 MiB Float64Array (${entry.length.toLocaleString('en')} B entry)`, hits, BARE_HIT);
  const hitRatio = hits[1]!.medianNs / hits[0]!.medianNs;
  console.log(`\nDiskCache hit / bare read + deserialize: ${hitRatio.toFixed(2)}x (goal ≤ 1.5x)`);
  const reads = await compare(
    [
      { name: 'fs.readFileSync', fn: () => fs.readFileSync(barePath) },
      { name: 'DiskCache getBlob', fn: () => disk.getBlob(KEY) },
    ],
    { rounds: ROUNDS },
  );
  report('hit, bytes only (no deserialization)', reads);

  // Each store writes different bytes (the last double changes), so a content-addressed store
  // cannot skip the write; each side replaces its one previous value.
  let counter = 0;
  const nextEntry = () => {
    counter++;
    entry.set(new Uint8Array(new Uint32Array([counter]).buffer), entry.length - 4);
    return entry;
  };
  const stores = await compare(
    [
      {
        name: 'writeFileSync + renameSync',
        fn: () => {
          const temp = join(bareDir, `tmp-${counter}`);
          fs.writeFileSync(temp, nextEntry());
          fs.renameSync(temp, barePath);
        },
      },
      { name: 'DiskCache setBlob', fn: () => disk.setBlob(KEY, nextEntry(), { node: 'bench' }) },
    ],
    { rounds: ROUNDS },
  );
  report(`store, 64 MiB Float64Array (${entry.length.toLocaleString('en')} B entry)`, stores);
  await disk.close();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
