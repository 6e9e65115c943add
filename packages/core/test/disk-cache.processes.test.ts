/**
 * DiskCache with real processes and real files: several processes at once on one directory,
 * writers killed mid-write, and damaged entry files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { DiskCache } from '../src/disk-cache.ts';
import { keyOf, valueFor } from './fixtures/_disk-values.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
// tsx lives in the workspace root's node_modules; resolving it from here works whatever the child's cwd.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-processes-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function start(fixture: string, args: readonly (string | number)[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=source', '--import', tsx, join(fixtures, fixture), ...args.map(String)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Runs a fixture to the end and parses the JSON it prints last. */
function run<T>(fixture: string, args: readonly (string | number)[]): Promise<T> {
  const child = start(fixture, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${fixture} exited with ${code}:\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Verified {
  outcomes: Record<string, 'hit' | 'miss' | 'wrong'>;
  entries: number;
  corrupt: number;
}

describe('DiskCache across processes', () => {
  test('4 processes reading, writing, deleting, scanning, pruning and clearing the same keys: no error, no wrong or partial value', async () => {
    const dir = join(root, 'concurrency');
    const results = await Promise.all(
      [0, 1, 2, 3].map((index) =>
        run<{ ops: number; hits: number; misses: number; wrong: number; errors: string[] }>(
          'disk-concurrency.ts',
          [dir, index, 1000, 24],
        ),
      ),
    );
    for (const result of results) {
      expect(result.errors).toEqual([]);
      expect(result.wrong).toBe(0);
      expect(result.ops).toBe(1000);
    }
    // The keys overlap enough that every process saw hits written by the others.
    expect(results.reduce((sum, result) => sum + result.hits, 0)).toBeGreaterThan(1000);
    const verified = await run<Verified>('disk-verify.ts', [dir, 24, 64 * 1024]);
    expect(Object.values(verified.outcomes)).not.toContain('wrong');
    expect(verified.corrupt).toBe(0);
  });

  test('writers killed at random moments leave every entry correct or missing, and their temp files break nothing', async () => {
    const dir = join(root, 'crash');
    const keys = 48;
    const killOne = async (round: number) => {
      const child = start('disk-crash-writer.ts', [dir, keys, round * 7]);
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await sleep(20 + Math.random() * 150);
      child.kill('SIGKILL');
      await exited;
    };
    // 4 lanes of 5 kills each: 20 writers killed mid-loop.
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = 0; i < 5; i++) await killOne(lane * 5 + i);
      }),
    );

    const verified = await run<Verified>('disk-verify.ts', [dir, keys, 512 * 1024]);
    const outcomes = Object.values(verified.outcomes);
    expect(outcomes).not.toContain('wrong');
    expect(outcomes).toContain('hit');
    // rename() is atomic: a killed writer never leaves a torn entry, only a temp file.
    expect(verified.corrupt).toBe(0);

    const cache = new DiskCache({ dir });
    const listed = [];
    for await (const record of cache.entries()) listed.push(record.key);
    expect(listed.length).toBe(outcomes.filter((outcome) => outcome === 'hit').length);
    expect(await cache.getMeta('crash')).toMatchObject({ node: 'crash' });
    await cache.prune({});
    const fresh = keyOf(10_000);
    await cache.setBlob(fresh, valueFor(fresh, 1024), { node: 'after-crash' });
    expect(Buffer.from((await cache.getBlob(fresh))!).equals(valueFor(fresh, 1024))).toBe(true);
  });

  test('flipped, truncated, emptied, extended or replaced entry files are misses and are removed', async () => {
    const dir = join(root, 'corruption');
    const keys = 12;
    const maxBytes = 4096;
    const writer = new DiskCache({ dir });
    for (let i = 0; i < keys; i++)
      await writer.setBlob(keyOf(i), valueFor(keyOf(i), maxBytes), { node: `node ${i}` });
    const fileOf = (i: number) => join(dir, 'v1', 'blobs', keyOf(i).slice(0, 2), keyOf(i));
    const damage: Record<number, (file: Buffer) => Buffer> = {
      0: (file) => flip(file, file.length - 1), // last payload byte
      1: (file) => flip(file, 60), // createdAt in the header
      2: (file) => flip(file, 81), // node name
      3: (file) => flip(file, 20), // the checksum itself
      4: (file) => flip(file, 0), // magic
      5: (file) => file.subarray(0, file.length - 1), // truncated by one byte
      6: (file) => file.subarray(0, 40), // truncated inside the header
      7: () => Buffer.alloc(0), // emptied
      8: (file) => Buffer.concat([file, Buffer.from([0])]), // extended
    };
    for (const [i, harm] of Object.entries(damage))
      fs.writeFileSync(fileOf(Number(i)), harm(fs.readFileSync(fileOf(Number(i)))));

    const verified = await run<Verified>('disk-verify.ts', [dir, keys, maxBytes]);
    for (let i = 0; i < keys; i++) {
      expect(verified.outcomes[keyOf(i)], `key ${i}`).toBe(i in damage ? 'miss' : 'hit');
      expect(fs.existsSync(fileOf(i)), `file ${i}`).toBe(!(i in damage));
    }
    expect(verified.corrupt).toBe(Object.keys(damage).length);
    expect(verified.entries).toBe(keys - Object.keys(damage).length);
  });

  test('a damaged header found by a scan (entries, info, prune) is removed too', async () => {
    const dir = join(root, 'scan-corruption');
    const cache = new DiskCache({ dir });
    for (let i = 0; i < 3; i++) await cache.setBlob(keyOf(i), valueFor(keyOf(i), 100), { node: 'n' });
    const file = join(dir, 'v1', 'blobs', keyOf(1).slice(0, 2), keyOf(1));
    fs.writeFileSync(file, flip(fs.readFileSync(file), 2));
    const info = await cache.info();
    expect(info.entries).toBe(2);
    expect(info.corrupt).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
  });
});

function flip(file: Buffer, offset: number): Buffer {
  const copy = Buffer.from(file);
  copy[offset]! ^= 0x5a;
  return copy;
}
