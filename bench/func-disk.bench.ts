/**
 * A DiskCache hit through func() — hashing the arguments, reading and checking the entry file,
 * deserializing — against cacache's get of the same bytes and a bare readFileSync.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cacache from 'cacache';
import { DiskCache, func } from '../packages/core/src/index.ts';
import { compare, report } from './_harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'memoflow-bench-func-disk-'));
try {
  const cache = new DiskCache({ dir: join(dir, 'memoflow') });
  const record = async (id: number) => ({ id, name: `record ${id}`, payload: 'x'.repeat(1000) });
  const memoized = func({ cache }, record);
  const value = await memoized(1);
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  await cacache.put(join(dir, 'cacache'), 'record-1', bytes);
  writeFileSync(join(dir, 'plain.json'), bytes);

  report(
    `DiskCache hit through func(), a ${bytes.length}-byte value`,
    await compare([
      { name: 'memoflow func() + DiskCache', fn: () => memoized(1) },
      { name: 'cacache.get', fn: () => cacache.get(join(dir, 'cacache'), 'record-1') },
      {
        name: 'bare readFileSync + JSON.parse',
        fn: () => JSON.parse(readFileSync(join(dir, 'plain.json'), 'utf8')),
      },
    ]),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
