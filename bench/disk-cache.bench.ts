/**
 * DiskCache against its peer (cacache, npm's content-addressable cache) and against the bare
 * file system floor, on 1 KiB values. Goal: a hit (getBlob + decodeEntry) well under 50 µs.
 * A 1 KiB value is kept in the index journal by default; `maxInlineBytes: 0` measures the same
 * value in a blob file of its own.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cacache from 'cacache';
import { DiskCache } from '../packages/core/src/backends/disk/disk-cache.ts';
import { decodeEntry, encodeEntry, v8Serializer } from '../packages/core/src/serializer/serializer.ts';
import { compare, report } from './_harness.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-bench-disk-'));
const value = { rows: Array.from({ length: 24 }, (_, i) => ({ id: i, name: `row ${i}`, score: i * 0.5 })) };
const entry = encodeEntry(value, v8Serializer, 'bench');
const keyOf = (i: number) => i.toString(16).padStart(64, '0');

const disk = new DiskCache({ dir: join(root, 'memoflow') });
const diskFiles = new DiskCache({ dir: join(root, 'memoflow-files'), maxInlineBytes: 0 });
const cacacheDir = join(root, 'cacache');
const bareDir = join(root, 'bare');
fs.mkdirSync(bareDir);
const HIT_KEY = keyOf(1);
await disk.setBlob(HIT_KEY, entry, { node: 'bench' });
await diskFiles.setBlob(HIT_KEY, entry, { node: 'bench' });
await cacache.put(cacacheDir, HIT_KEY, entry);
fs.writeFileSync(join(bareDir, HIT_KEY), entry);

const hits = await compare([
  {
    name: 'DiskCache getBlob + decodeEntry',
    fn: async () => decodeEntry((await disk.getBlob(HIT_KEY))!, v8Serializer),
  },
  { name: 'DiskCache getBlob', fn: () => disk.getBlob(HIT_KEY) },
  { name: 'DiskCache getBlob, value in a file', fn: () => diskFiles.getBlob(HIT_KEY) },
  { name: 'cacache.get', fn: () => cacache.get(cacacheDir, HIT_KEY) },
  { name: 'fs.readFileSync', fn: () => fs.readFileSync(join(bareDir, HIT_KEY)) },
]);
report(`hit, ${entry.length} B entry (v8, ${Object.keys(value.rows[0]!).length}-field rows)`, hits);

// Each store writes different bytes (no deduplication by content) under one of 256 keys.
let counter = 0;
const nextEntry = () => {
  const bytes = Buffer.from(entry);
  bytes.writeUInt32LE(++counter, bytes.length - 4);
  return { key: keyOf(counter % 256), bytes };
};
const stores = await compare(
  [
    {
      name: 'DiskCache setBlob',
      fn: () => {
        const { key, bytes } = nextEntry();
        return disk.setBlob(key, bytes, { node: 'bench' });
      },
    },
    {
      name: 'DiskCache setBlob, value in a file',
      fn: () => {
        const { key, bytes } = nextEntry();
        return diskFiles.setBlob(key, bytes, { node: 'bench' });
      },
    },
    {
      name: 'cacache.put',
      fn: () => {
        const { key, bytes } = nextEntry();
        return cacache.put(cacacheDir, key, bytes);
      },
    },
    {
      name: 'writeFileSync + renameSync',
      fn: () => {
        const { key, bytes } = nextEntry();
        const temp = join(bareDir, `tmp-${counter}`);
        fs.writeFileSync(temp, bytes);
        fs.renameSync(temp, join(bareDir, key));
      },
    },
  ],
  { rounds: 15 },
);
report(`store, ${entry.length} B entry`, stores);

await Promise.all([disk.close(), diskFiles.close()]);
fs.rmSync(root, { recursive: true, force: true });
