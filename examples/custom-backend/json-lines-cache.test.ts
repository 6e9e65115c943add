/**
 * The custom backend as its author would test it: the whole conformance suite from
 * `@memoflow/conformance`, a file replayed by a new instance, and a real pipeline run twice in two
 * processes through index.ts (every node a miss, then every node a hit).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describeCacheBackend } from '@memoflow/conformance';
import { afterAll, expect, test } from 'vitest';
import { JsonLinesCache } from './json-lines-cache.ts';

const root = mkdtempSync(join(tmpdir(), 'memoflow-custom-backend-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshFile = () => join(mkdtempSync(join(root, 'cache-')), 'cache.jsonl');

describeCacheBackend('JsonLinesCache', () => new JsonLinesCache({ file: freshFile() }));

const key = (n: number) => n.toString(16).padStart(64, '0');

test('a new instance on the same file replays it: entries, deletions, node clears and signatures', async () => {
  const file = freshFile();
  const first = new JsonLinesCache({ file });
  await first.setBlob(key(1), new Uint8Array([1, 2, 3]), { node: 'kept', ttl: 60_000 });
  await first.setBlob(key(2), new Uint8Array([4]), { node: 'kept' });
  await first.setBlob(key(3), new Uint8Array([5]), { node: 'cleared' });
  await first.delete(key(2));
  await first.clear({ node: 'cleared' });
  const signature = {
    node: 'kept',
    key: key(1),
    codeHash: 'c',
    envHash: 'e',
    inputsHash: 'i',
    depsHash: 'd',
  };
  await first.setMeta({ ...signature, timestamp: 1 });
  await first.close();
  expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(6);

  const second = new JsonLinesCache({ file });
  expect(await second.getBlob(key(1))).toEqual(new Uint8Array([1, 2, 3]));
  expect(await second.getMany([key(2), key(3)])).toEqual([undefined, undefined]);
  expect(await second.getMeta('kept')).toEqual({ ...signature, timestamp: 1 });
  const info = await second.info();
  expect(info).toMatchObject({ backend: 'json-lines', location: file, entries: 1, bytes: 3 });
  expect(info.newest?.expiresAt).toBeGreaterThan(Date.now());
  await second.clear();
  expect(readFileSync(file, 'utf8')).toBe('');
  expect(await new JsonLinesCache({ file }).has(key(1))).toBe(false);
});

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const here = fileURLToPath(new URL('.', import.meta.url));

test('a pipeline on the backend: the first process computes every node, the second is served every node', async () => {
  const env = { ...process.env, CACHE_FILE: freshFile() };
  const start = () =>
    run(process.execPath, ['--conditions=memoflow-source', '--import', tsx, 'index.ts'], { cwd: here, env });
  const cold = (await start()).stdout;
  expect(cold).toBe('longest word: backend\nwords: miss, lengths: miss, longest: miss\n');
  const warm = (await start()).stdout;
  expect(warm).toBe('longest word: backend\nwords: hit, lengths: hit, longest: hit\n');
});
