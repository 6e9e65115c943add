import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { create, extract, Header, list, Pack, ReadEntry } from 'tar';
import { afterAll, describe, expect, test } from 'vitest';
import {
  type ArchiveEntry,
  type ArchiveManifest,
  writeArchive,
} from '../src/backends/disk/archive/archive.ts';
import { readArchive } from '../src/backends/disk/archive/read.ts';
import { BackendError, ConfigError } from '../src/errors.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-archive-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'case-'));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A directory of raw blob files named by their hash, with `headerBytes` of junk before each payload. */
function blobStore(payloads: Buffer[], headerBytes = 0) {
  const dir = freshDir();
  const hashes = payloads.map((payload) => {
    const hash = sha256(payload);
    fs.writeFileSync(join(dir, hash), Buffer.concat([Buffer.alloc(headerBytes, 0xab), payload]));
    return hash;
  });
  return { hashes, blobPath: (hash: string) => join(dir, hash) };
}

/** A cache key (a digest, as DiskCache requires) named by a short label. */
const keyOf = (label: string) => sha256(Buffer.from(`key ${label}`));

function entry(label: string, blob: string, bytes: number, node = 'train'): ArchiveEntry {
  return { key: keyOf(label), node, blob, bytes, createdAt: 1_700_000_000_000, expiresAt: 0, computeMs: 12 };
}

function manifestOf(entries: ArchiveEntry[]): ArchiveManifest {
  return {
    format: 'memoflow-cache',
    version: 1,
    createdAt: 1_700_000_000_000,
    entries,
    meta: [{ node: 'train', code: 'abc' }],
  };
}

/** Writes a .tar.gz holding exactly these entries, paths taken literally (no stripping or checks). */
async function packByHand(
  file: string,
  files: { path: string; body?: Buffer | string; type?: 'File' | 'SymbolicLink'; linkpath?: string }[],
) {
  const pack = new Pack({ gzip: true, portable: true, preservePaths: true });
  const out = fs.createWriteStream(file);
  pack.pipe(out);
  for (const { path, body = '', type = 'File', linkpath } of files) {
    const bytes = Buffer.from(body);
    const size = type === 'File' ? bytes.length : 0;
    const readEntry = new ReadEntry(
      new Header({ path, type, size, mode: 0o644, linkpath, mtime: new Date() }),
    );
    pack.add(readEntry);
    if (type === 'File') readEntry.end(bytes);
    else readEntry.end();
  }
  pack.end();
  await finished(out);
}

async function archivePaths(file: string): Promise<string[]> {
  const paths: string[] = [];
  await list({ file, onReadEntry: (e) => paths.push(e.path) });
  return paths;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('writeArchive and readArchive', () => {
  test('round trip of several blobs, one of 64 MiB, restores every payload and the manifest', async () => {
    const large = randomBytes(64 * 1024 * 1024);
    const payloads = [Buffer.from('small'), Buffer.alloc(0), randomBytes(100_003), large];
    const { hashes, blobPath } = blobStore(payloads);
    const manifest = manifestOf(hashes.map((hash, i) => entry(`key-${i}`, hash, payloads[i]!.length)));
    const file = join(freshDir(), 'cache.tar.gz');

    const written = await writeArchive(file, manifest, blobPath);
    expect(written).toEqual({
      entries: 4,
      blobs: 4,
      bytes: payloads.reduce((sum, p) => sum + p.length, 0),
    });
    expect(await archivePaths(file)).toEqual(['manifest.json', ...hashes.map((h) => `blobs/${h}`)]);

    const stagingDir = join(freshDir(), 'staging', 'nested');
    const { manifest: read, blobs } = await readArchive(file, stagingDir);
    expect(read).toEqual(manifest);
    expect([...blobs.keys()].sort()).toEqual([...hashes].sort());
    for (const [i, hash] of hashes.entries()) {
      const staged = blobs.get(hash)!;
      expect(dirname(staged)).toBe(stagingDir);
      expect(fs.readFileSync(staged).equals(payloads[i]!)).toBe(true);
    }
    expect(fs.readdirSync(stagingDir).sort()).toEqual([...hashes].sort());
  }, 60_000);

  test('entries sharing a blob write it once', async () => {
    const payloads = [Buffer.from('shared output'), Buffer.from('other output')];
    const { hashes, blobPath } = blobStore(payloads);
    const [shared, other] = hashes as [string, string];
    const manifest = manifestOf([
      entry('a', shared, 13),
      entry('b', other, 12, 'eval'),
      entry('c', shared, 13, 'eval'),
      entry('d', shared, 13),
    ]);
    const file = join(freshDir(), 'cache.tar.gz');

    expect(await writeArchive(file, manifest, blobPath)).toEqual({ entries: 4, blobs: 2, bytes: 25 });
    expect(await archivePaths(file)).toEqual(['manifest.json', `blobs/${shared}`, `blobs/${other}`]);
    const { manifest: read, blobs } = await readArchive(file, join(freshDir(), 'staging'));
    expect(read.entries.map((e) => e.key)).toEqual(['a', 'b', 'c', 'd'].map(keyOf));
    expect(blobs.size).toBe(2);
  });

  test('headerBytes skips each blob file header and archives the payload only', async () => {
    const payloads = [Buffer.from('payload one'), randomBytes(300_000)];
    const { hashes, blobPath } = blobStore(payloads, 48);
    const manifest = manifestOf(hashes.map((hash, i) => entry(`k${i}`, hash, payloads[i]!.length)));
    const file = join(freshDir(), 'cache.tar.gz');

    const written = await writeArchive(file, manifest, blobPath, 48);
    expect(written.bytes).toBe(11 + 300_000);
    const { blobs } = await readArchive(file, join(freshDir(), 'staging'));
    for (const [i, hash] of hashes.entries()) {
      expect(fs.readFileSync(blobs.get(hash)!).equals(payloads[i]!)).toBe(true);
    }
  });

  test('a blob file whose payload does not match its hash fails the export and leaves no archive', async () => {
    const { hashes, blobPath } = blobStore([Buffer.from('good'), Buffer.from('will be damaged')]);
    const damaged = hashes[1]!;
    fs.writeFileSync(blobPath(damaged), 'damaged!!!!!!!!');
    const dir = freshDir();
    const file = join(dir, 'cache.tar.gz');

    const error = await rejection(
      writeArchive(file, manifestOf(hashes.map((h) => entry(h.slice(0, 8), h, 4))), blobPath),
    );
    expect(error).toBeInstanceOf(BackendError);
    expect(error.message).toContain(damaged);
    expect(error.message).toContain('verify()');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a missing blob file fails the export naming the blob', async () => {
    const { hashes, blobPath } = blobStore([Buffer.from('present')]);
    const absent = sha256(Buffer.from('absent'));
    const file = join(freshDir(), 'cache.tar.gz');
    const error = await rejection(
      writeArchive(file, manifestOf([entry('a', hashes[0]!, 7), entry('b', absent, 6)]), blobPath),
    );
    expect(error).toBeInstanceOf(BackendError);
    expect(error.message).toContain(absent);
    expect(fs.existsSync(file)).toBe(false);
  });

  test('a tampered blob inside the archive is rejected, named, and nothing stays staged', async () => {
    const payloads = [Buffer.from('first output'), randomBytes(50_000)];
    const { hashes, blobPath } = blobStore(payloads);
    const dir = freshDir();
    const file = join(dir, 'cache.tar.gz');
    await writeArchive(
      file,
      manifestOf(hashes.map((h, i) => entry(`k${i}`, h, payloads[i]!.length))),
      blobPath,
    );

    const unpacked = join(dir, 'unpacked');
    fs.mkdirSync(unpacked);
    await extract({ file, cwd: unpacked });
    const tampered = hashes[1]!;
    const blobFile = join(unpacked, 'blobs', tampered);
    const bytes = fs.readFileSync(blobFile);
    bytes[1234]! ^= 0x01;
    fs.writeFileSync(blobFile, bytes);
    const repacked = join(dir, 'tampered.tar.gz');
    await create({ file: repacked, gzip: true, cwd: unpacked }, [
      'manifest.json',
      ...hashes.map((h) => `blobs/${h}`),
    ]);

    const stagingDir = join(dir, 'staging');
    const error = await rejection(readArchive(repacked, stagingDir));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(repacked);
    expect(error.message).toContain(`blob ${tampered} is corrupt`);
    expect(fs.existsSync(stagingDir)).toBe(false);
  });

  test('into an existing staging directory, a rejected import removes only what it staged', async () => {
    const payloads = [Buffer.from('first output'), Buffer.from('second output')];
    const dir = freshDir();
    const manifest = manifestOf(payloads.map((p, i) => entry(`k${i}`, sha256(p), p.length)));
    const file = join(dir, 'bad.tar.gz');
    await packByHand(file, [
      { path: 'manifest.json', body: JSON.stringify(manifest) },
      { path: `blobs/${sha256(payloads[0]!)}`, body: payloads[0] },
      // As long as the real one, so only its hash can tell.
      { path: `blobs/${sha256(payloads[1]!)}`, body: 'SECOND output' },
    ]);
    const stagingDir = join(dir, 'staging');
    fs.mkdirSync(stagingDir);
    fs.writeFileSync(join(stagingDir, 'unrelated'), 'keep me');

    const error = await rejection(readArchive(file, stagingDir));
    expect(error.message).toContain(`blob ${sha256(payloads[1]!)} is corrupt`);
    expect(fs.readdirSync(stagingDir)).toEqual(['unrelated']);
  });

  test('an entry whose blob the archive lacks is rejected naming the blob', async () => {
    const present = Buffer.from('present');
    const absent = sha256(Buffer.from('absent'));
    const file = join(freshDir(), 'cache.tar.gz');
    const manifest = manifestOf([entry('a', sha256(present), 7), entry('b', absent, 6, 'eval')]);
    await packByHand(file, [
      { path: 'manifest.json', body: JSON.stringify(manifest) },
      { path: `blobs/${sha256(present)}`, body: present },
    ]);

    const error = await rejection(readArchive(file, join(freshDir(), 'staging')));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`needs blob ${absent}`);
    expect(error.message).toContain('"eval"');
  });

  test('an archive without a manifest is rejected', async () => {
    const payload = Buffer.from('orphan');
    const file = join(freshDir(), 'cache.tar.gz');
    await packByHand(file, [{ path: `blobs/${sha256(payload)}`, body: payload }]);
    const error = await rejection(readArchive(file, join(freshDir(), 'staging')));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(file);
    expect(error.message).toContain('does not start with `manifest.json`');

    const empty = join(freshDir(), 'empty.tar.gz');
    await packByHand(empty, []);
    const emptyError = await rejection(readArchive(empty, join(freshDir(), 'staging')));
    expect(emptyError).toBeInstanceOf(ConfigError);
    expect(emptyError.message).toContain(empty);
  });

  test('a manifest of another format or version, or not JSON, is rejected', async () => {
    const cases: [unknown, string][] = [
      [
        { format: 'something-else', version: 1, createdAt: 0, entries: [], meta: [] },
        'format "something-else"',
      ],
      [{ format: 'memoflow-cache', version: 2, createdAt: 0, entries: [], meta: [] }, 'format version 2'],
      [{ format: 'memoflow-cache', version: 1, createdAt: 0, entries: [{ key: 1 }], meta: [] }, 'entry 0'],
      ['{ not json', 'not valid JSON'],
    ];
    for (const [manifest, expected] of cases) {
      const file = join(freshDir(), 'cache.tar.gz');
      const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
      await packByHand(file, [{ path: 'manifest.json', body }]);
      const error = await rejection(readArchive(file, join(freshDir(), 'staging')));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(expected);
    }
  });

  test('a file that is not a tar.gz is a ConfigError; a missing file is a BackendError', async () => {
    const dir = freshDir();
    const text = join(dir, 'notes.txt');
    fs.writeFileSync(text, 'these are not the bytes of an archive\n'.repeat(100));
    const notTar = await rejection(readArchive(text, join(dir, 'staging')));
    expect(notTar).toBeInstanceOf(ConfigError);
    expect(notTar.message).toContain(text);

    const missing = await rejection(readArchive(join(dir, 'missing.tar.gz'), join(dir, 'staging')));
    expect(missing).toBeInstanceOf(BackendError);
    expect((missing as BackendError).code).toBe('BACKEND');
    expect(missing.message).toContain('missing.tar.gz');
  });

  test('paths that would leave the staging directory are rejected and nothing is written outside it', async () => {
    const payload = Buffer.from('evil');
    const manifest = JSON.stringify(manifestOf([entry('a', sha256(payload), 4)]));
    const outside = freshDir();
    const hostile: { path: string; body?: string; type?: 'File' | 'SymbolicLink'; linkpath?: string }[] = [
      { path: '../evil', body: 'evil' },
      { path: `blobs/../../${sha256(payload)}`, body: 'evil' },
      { path: join(outside, 'absolute-evil'), body: 'evil' },
      { path: `blobs/${sha256(payload)}`, type: 'SymbolicLink', linkpath: join(outside, 'target') },
    ];
    for (const evil of hostile) {
      const dir = join(outside, `run-${hostile.indexOf(evil)}`);
      fs.mkdirSync(dir);
      const file = join(dir, 'cache.tar.gz');
      await packByHand(file, [{ path: 'manifest.json', body: manifest }, evil]);
      // Made beforehand, so the cleanup of a rejected import (which removes a staging directory it created) cannot hide a stray write.
      const stagingDir = join(dir, 'stage', 'inner');
      fs.mkdirSync(stagingDir, { recursive: true });

      const error = await rejection(readArchive(file, stagingDir));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(JSON.stringify(evil.path));
      const files = fs
        .readdirSync(outside, { recursive: true, withFileTypes: true })
        .filter((e) => !e.isDirectory())
        .map((e) => join(e.parentPath, e.name));
      expect(files.filter((path) => !path.endsWith('cache.tar.gz'))).toEqual([]);
    }
  });

  test('a blob the manifest does not refer to is rejected', async () => {
    const stray = Buffer.from('stray');
    const file = join(freshDir(), 'cache.tar.gz');
    await packByHand(file, [
      { path: 'manifest.json', body: JSON.stringify(manifestOf([])) },
      { path: `blobs/${sha256(stray)}`, body: stray },
    ]);
    const error = await rejection(readArchive(file, join(freshDir(), 'staging')));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`blob ${sha256(stray)}, which no entry`);
  });

  test('a blob of zeros that compresses past tar’s default ratio limit still imports', async () => {
    const zeros = Buffer.alloc(32 * 1024 * 1024);
    const { hashes, blobPath } = blobStore([zeros]);
    const file = join(freshDir(), 'cache.tar.gz');
    await writeArchive(file, manifestOf([entry('z', hashes[0]!, zeros.length)]), blobPath);
    const { blobs } = await readArchive(file, join(freshDir(), 'staging'));
    expect(fs.statSync(blobs.get(hashes[0]!)!).size).toBe(zeros.length);
  }, 30_000);

  test('argument errors are TypeErrors naming the argument', async () => {
    const file = join(freshDir(), 'cache.tar.gz');
    await expect(writeArchive(file, manifestOf([]), () => '', -1)).rejects.toThrow(/`headerBytes`/);
    await expect(writeArchive(file, manifestOf([entry('a', '../x', 1)]), () => '')).rejects.toThrow(
      TypeError,
    );
  });
});
