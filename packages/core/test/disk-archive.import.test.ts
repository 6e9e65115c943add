/**
 * DiskCache.import() of crafted archives: every manifest key and node name passes the checks
 * `set` applies, sizes are bounded by the manifest and by `maxBytes`, and a rejected archive
 * leaves nothing behind (no entry, no blob file, no staged file).
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import type { NodeSignature } from '../src/backends/contract.ts';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { ConfigError } from '../src/errors.ts';
import { archiveEntry, archiveManifest, craftArchive, sha256 } from './fixtures/disk-archive-craft.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-archive-import-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'case-'));

const caches: DiskCache[] = [];
afterEach(async () => {
  for (const cache of caches.splice(0)) await cache.close();
});
function cacheIn(dir: string): DiskCache {
  const cache = new DiskCache({ dir, maxInlineBytes: 16 });
  caches.push(cache);
  return cache;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** What an import left: entries, and every file but the index journals. */
async function leftovers(cache: DiskCache) {
  const entries = [];
  for await (const entry of cache.entries()) entries.push(entry.key);
  const files = fs
    .readdirSync(cache.dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('journal-'))
    .map((entry) => join(entry.parentPath, entry.name));
  return { entries, files };
}

const GOOD = 'a good value, larger than the inline limit';
const goodEntry = () => archiveEntry({ blob: sha256(GOOD), bytes: GOOD.length });

describe('DiskCache.import() of a crafted archive', () => {
  test('a key or node name that set() would refuse rejects the whole archive, naming it', async () => {
    const other = 'another value, larger than the inline limit';
    const badEntries: [unknown, string][] = [
      [{ key: '../../etc/passwd' }, '"../../etc/passwd"'],
      [{ key: 'a'.repeat(300) }, `"${'a'.repeat(60)}`],
      [{ key: 'x'.repeat(300) }, `"${'x'.repeat(60)}`],
      [{ key: 'AB'.repeat(32) }, `"${'AB'.repeat(32)}"`],
      [{ key: '0123abcd' }, '"0123abcd"'],
      [{ key: '' }, 'key ""'],
      [{ key: 42 }, 'key 42'],
      [{ node: 7 }, 'node name 7'],
    ];
    for (const [fields, named] of badEntries) {
      const bad = { ...archiveEntry({ blob: sha256(other), bytes: other.length }), ...(fields as object) };
      const dir = freshDir();
      const file = join(dir, 'bad.tar.gz');
      await craftArchive(file, archiveManifest([goodEntry(), bad]), [{ body: GOOD }, { body: other }]);
      const cache = cacheIn(join(dir, 'cache'));

      const error = await rejection(cache.import(file));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe('CONFIG');
      expect(error.message).toContain(file);
      expect(error.message).toContain('entry 1 of its `manifest.json`');
      expect(error.message).toContain(named);
      expect(error.message).toContain('Nothing was imported');
      expect(await leftovers(cache)).toEqual({ entries: [], files: [] });
    }
  });

  test('a signature whose node name set() would refuse rejects the archive', async () => {
    for (const [meta, named] of [
      [{ key: 'ab'.repeat(32) }, 'node name undefined'],
      [{ node: ['train'] }, 'node name ["train"]'],
      ['train', 'signature 0 of its `manifest.json` is malformed'],
    ] as const) {
      const dir = freshDir();
      const file = join(dir, 'bad.tar.gz');
      await craftArchive(file, archiveManifest([goodEntry()], [meta]), [{ body: GOOD }]);
      const cache = cacheIn(join(dir, 'cache'));
      const error = await rejection(cache.import(file));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(named);
      expect(await leftovers(cache)).toEqual({ entries: [], files: [] });
      expect(await cache.getMeta('train')).toBeUndefined();
    }
  });

  test('entries declaring two sizes for one blob reject the archive', async () => {
    const dir = freshDir();
    const file = join(dir, 'bad.tar.gz');
    const entries = [goodEntry(), { ...goodEntry(), key: sha256('second key'), bytes: GOOD.length + 1 }];
    await craftArchive(file, archiveManifest(entries), [{ body: GOOD }]);
    const cache = cacheIn(join(dir, 'cache'));
    const error = await rejection(cache.import(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      `says blob ${sha256(GOOD)} is ${GOOD.length + 1} bytes, an earlier entry ${GOOD.length}`,
    );
    expect(await leftovers(cache)).toEqual({ entries: [], files: [] });
  });

  test('a value that does not hash to its name, at its declared size, leaves nothing behind', async () => {
    const dir = freshDir();
    const file = join(dir, 'bad.tar.gz');
    const claimed = 'the value the manifest promises, long enough';
    const forged = claimed.toUpperCase();
    await craftArchive(
      file,
      archiveManifest([goodEntry(), archiveEntry({ blob: sha256(claimed), bytes: claimed.length })]),
      [{ body: GOOD }, { path: `blobs/${sha256(claimed)}`, body: forged }],
    );
    const cache = cacheIn(join(dir, 'cache'));
    const error = await rejection(cache.import(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`blob ${sha256(claimed)} is corrupt`);
    expect(await leftovers(cache)).toEqual({ entries: [], files: [] });
  });

  test('a corrupt value among many, some still queued to be staged, leaves nothing behind', async () => {
    const values = Array.from({ length: 40 }, (_, i) => `value number ${i}, long enough to be a file`);
    const damaged = 17;
    const dir = freshDir();
    const file = join(dir, 'many.tar.gz');
    await craftArchive(
      file,
      archiveManifest(values.map((value) => archiveEntry({ blob: sha256(value), bytes: value.length }))),
      values.map((value, i) =>
        i === damaged
          ? { path: `blobs/${sha256(value)}`, body: value.replace('value', 'VALUE') }
          : { body: value },
      ),
    );
    const cache = cacheIn(join(dir, 'cache'));
    const error = await rejection(cache.import(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`blob ${sha256(values[damaged]!)} is corrupt`);
    expect(await leftovers(cache)).toEqual({ entries: [], files: [] });
  });

  test('maxBytes: values expanding to exactly it import, one byte more is refused before anything is stored', async () => {
    const values = ['first value, more than sixteen bytes', 'second value, also more than sixteen', ''];
    const entries = values.map((value) =>
      archiveEntry({ blob: sha256(value), bytes: value.length, node: value }),
    );
    const total = values.reduce((sum, value) => sum + value.length, 0);
    const file = join(freshDir(), 'values.tar.gz');
    await craftArchive(
      file,
      archiveManifest(entries),
      values.map((body) => ({ body })),
    );

    const refusing = cacheIn(join(freshDir(), 'cache'));
    const error = await rejection(refusing.import(file, { maxBytes: total - 1 }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      `its values expand to ${total} bytes, more than \`maxBytes\` (${total - 1})`,
    );
    expect(await leftovers(refusing)).toEqual({ entries: [], files: [] });

    const taking = cacheIn(join(freshDir(), 'cache'));
    expect(await taking.import(file, { maxBytes: total })).toEqual({ entries: 3, blobs: 3, bytes: total });
    for (const [i, value] of values.entries()) {
      expect(Buffer.from((await taking.getBlob(entries[i]!.key))!).toString()).toBe(value);
    }
  });

  test('an invalid maxBytes is a ConfigError naming it', async () => {
    const file = join(freshDir(), 'values.tar.gz');
    await craftArchive(file, archiveManifest([goodEntry()]), [{ body: GOOD }]);
    for (const maxBytes of [-1, Number.NaN, '10']) {
      const cache = cacheIn(join(freshDir(), 'cache'));
      const error = await rejection(cache.import(file, { maxBytes: maxBytes as number }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain('`maxBytes`');
      expect(error.message).toContain('import() options');
    }
  });

  test('a value shared by entries of several nodes is staged once, linked into place, and reads back', async () => {
    const large = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const entries = ['train', 'eval', 'test'].map((node) =>
      archiveEntry({ blob: sha256(large), bytes: large.length, node }),
    );
    const file = join(freshDir(), 'shared.tar.gz');
    await craftArchive(file, archiveManifest(entries), [{ body: large }]);
    const cache = cacheIn(join(freshDir(), 'cache'));
    expect(await cache.import(file)).toEqual({ entries: 3, blobs: 1, bytes: 3 * large.length });
    for (const { key } of entries) expect(Buffer.from((await cache.getBlob(key))!).equals(large)).toBe(true);
    const { files } = await leftovers(cache);
    expect(files.map((path) => path.slice(cache.dir.length))).toEqual([
      `/v4/blobs/${sha256(large).slice(0, 2)}/${sha256(large)}`,
    ]);
    expect((await cache.verify()).corrupt).toEqual([]);
  });
});

describe('node names that are also Object.prototype properties', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  afterEach(() => {
    for (const name of ['polluted', 'entries', 'bytes'])
      delete (Object.prototype as Record<string, unknown>)[name];
  });

  const signatureOf = (node: string, n: number): NodeSignature => ({
    node,
    key: sha256(`signature ${n}`),
    codeHash: 'c',
    envHash: 'e',
    inputsHash: 'i',
    depsHash: 'd',
    timestamp: 1_700_000_000_000 + n,
    // Own properties named like the prototype's, as JSON.parse makes them.
    codeParts: JSON.parse(`{"__proto__": "p${n}", "constructor": "k${n}"}`),
  });

  test('survive export and import, entries and signatures alike, and pollute nothing', async () => {
    const source = cacheIn(join(freshDir(), 'source'));
    for (const [n, node] of NAMES.entries()) {
      await source.setBlob(sha256(`key ${node}`), Buffer.from(`value of node ${node}, long enough`), {
        node,
      });
      await source.setMeta(signatureOf(node, n));
    }
    const file = join(freshDir(), 'names.tar.gz');
    expect(await source.export(file)).toMatchObject({ entries: NAMES.length });

    const target = cacheIn(join(freshDir(), 'target'));
    expect(await target.import(file)).toMatchObject({ entries: NAMES.length, blobs: NAMES.length });
    for (const [n, node] of NAMES.entries()) {
      const listed = [];
      for await (const entry of target.entries({ node })) listed.push(entry.key);
      expect(listed).toEqual([sha256(`key ${node}`)]);
      expect(Buffer.from((await target.getBlob(sha256(`key ${node}`)))!).toString()).toBe(
        `value of node ${node}, long enough`,
      );
      const meta = await target.getMeta(node);
      expect(meta?.node).toBe(node);
      expect(Object.getOwnPropertyDescriptor(meta!.codeParts!, '__proto__')?.value).toBe(`p${n}`);
      expect(Object.hasOwn(meta!.codeParts!, 'constructor')).toBe(true);
    }
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).entries).toBeUndefined();
  });

  test('a crafted manifest carrying __proto__ objects pollutes nothing', async () => {
    const value = 'value of the node named __proto__';
    const entry = archiveEntry({ blob: sha256(value), bytes: value.length, node: '__proto__' });
    const text = JSON.stringify(archiveManifest([entry], [signatureOf('__proto__', 0)]))
      .replace('"codeParts":{', '"codeParts":{"__proto__":{"polluted":true},')
      .replace('"entries":[{', '"entries":[{"__proto__":{"polluted":true},');
    const file = join(freshDir(), 'proto.tar.gz');
    await craftArchive(file, text, [{ body: value }]);
    const cache = cacheIn(join(freshDir(), 'cache'));
    expect(await cache.import(file)).toMatchObject({ entries: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Buffer.from((await cache.getBlob(entry.key))!).toString()).toBe(value);
    expect((await cache.getMeta('__proto__'))?.node).toBe('__proto__');
  });
});
