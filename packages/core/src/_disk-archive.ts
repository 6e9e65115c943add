/** A cache as one `.tar.gz` file, for moving it between machines: `manifest.json` first, then each blob once. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Header, Pack, Parser, ReadEntry } from 'tar';
import { BackendError, ConfigError, MemoflowError, quote } from './errors.ts';

/** One cache entry as an archive lists it. */
export interface ArchiveEntry {
  key: string;
  node: string;
  /** sha256 hex of the blob's payload; the archive holds it as `blobs/<blob>`. */
  blob: string;
  /** Payload bytes of the blob. */
  bytes: number;
  createdAt: number;
  /** 0 = never. */
  expiresAt: number;
  /** -1 = unknown. */
  computeMs: number;
}

/** The archive's `manifest.json`. */
export interface ArchiveManifest {
  format: 'memoflow-cache';
  version: 1;
  createdAt: number;
  entries: ArchiveEntry[];
  /** NodeSignature objects, passed through as they are. */
  meta: unknown[];
}

const FORMAT = 'memoflow-cache';
const VERSION = 1;
const MANIFEST_PATH = 'manifest.json';
const BLOB_PATH = /^blobs\/([0-9a-f]{64})$/;
const HASH = /^[0-9a-f]{64}$/;

/**
 * Writes `file` (a .tar.gz): `manifest.json`, then each blob the entries name, once however many
 * entries share it, as `blobs/<hash>` holding the payload bytes only. `blobSource(hash)` gives a
 * blob's bytes, or the path of a file to stream them from (never held in memory whole); either is
 * re-hashed on the way: a blob whose payload does not match its name aborts the export. `file`
 * appears only when complete (temp file + rename).
 *
 * @param headerBytes How many bytes at the start of each blob file precede the payload (DiskCache's
 *   blob files carry a 56-byte header); they are skipped, not archived. @default 0
 * @param onProgress Called after each blob is written, with how many of how many. @default none
 * @returns entries listed, blobs written, and the payload bytes of those blobs.
 */
export async function writeArchive(
  file: string,
  manifest: ArchiveManifest,
  blobSource: (hash: string) => string | Uint8Array,
  headerBytes = 0,
  onProgress?: (done: number, total: number) => void,
): Promise<{ entries: number; blobs: number; bytes: number }> {
  if (!Number.isSafeInteger(headerBytes) || headerBytes < 0) {
    throw new TypeError(`\`headerBytes\` must be a non-negative integer, got ${quote(headerBytes)}`);
  }
  const hashes = new Set<string>();
  for (const entry of manifest.entries) {
    if (!HASH.test(entry.blob)) {
      throw new TypeError(
        `Entry ${quote(entry.key)} has \`blob\` ${quote(entry.blob)}, not a sha256 hex digest`,
      );
    }
    hashes.add(entry.blob);
  }
  const { format, version, createdAt, entries, meta } = manifest;
  const manifestBytes = Buffer.from(JSON.stringify({ format, version, createdAt, entries, meta }));
  const mtime = new Date(createdAt);

  // A temp file beside `file` and a rename, so an export that fails midway never leaves a truncated archive under the real name.
  const temp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const abort = new AbortController();
  const pack = new Pack({ gzip: true, portable: true });
  const out = fs.createWriteStream(temp, { flags: 'wx' });
  const failed = new Promise<never>((_, reject) => {
    pack.on('error', reject);
    out.on('error', reject);
  });
  failed.catch(() => {});
  let bytes = 0;
  try {
    pack.pipe(out);
    const manifestEntry = fileEntry(MANIFEST_PATH, manifestBytes.length, mtime);
    pack.add(manifestEntry);
    manifestEntry.end(manifestBytes);
    let done = 0;
    for (const hash of hashes) {
      const source = blobSource(hash);
      bytes += await Promise.race([
        typeof source === 'string'
          ? packBlob(pack, hash, source, headerBytes, mtime, abort.signal)
          : packBytes(pack, hash, source, mtime),
        failed,
      ]);
      onProgress?.(++done, hashes.size);
    }
    pack.end();
    await Promise.race([finished(out), failed]);
    await fsp.rename(temp, file);
  } catch (error) {
    abort.abort(error);
    out.destroy();
    await fsp.rm(temp, { force: true });
    if (error instanceof MemoflowError) throw error;
    throw new BackendError('disk', `Cannot write archive ${quote(file)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  return { entries: manifest.entries.length, blobs: hashes.size, bytes };
}

/**
 * Reads an archive written by {@link writeArchive}: stages its blobs in `stagingDir` (created if
 * missing) as `<stagingDir>/<hash>`, each verified against its sha256 name before it appears there,
 * and checks that the manifest comes first, has this format and version, and that every entry's blob
 * is present and every blob is some entry's. Nothing in the archive is run, and no archive path is
 * used as a file path: only `manifest.json` and `blobs/<64 hex>` regular files are accepted.
 *
 * @throws ConfigError when `file` is not a valid memoflow archive (the message names what is wrong,
 *   e.g. the blob whose content does not match); BackendError when reading `file` or writing
 *   `stagingDir` fails. Either way, the files this call staged are removed.
 */
export async function readArchive(
  file: string,
  stagingDir: string,
): Promise<{ manifest: ArchiveManifest; blobs: Map<string, string> }> {
  const ioError = (error: unknown) =>
    new BackendError('disk', `Cannot import ${quote(file)}: ${messageOf(error)}`, { cause: error });
  let handle: fsp.FileHandle;
  let createdDir: string | undefined;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    throw ioError(error);
  }
  try {
    createdDir = await fsp.mkdir(stagingDir, { recursive: true });
  } catch (error) {
    await handle.close();
    throw ioError(error);
  }
  const input = handle.createReadStream();
  const notAnArchive = (problem: string, cause?: unknown) =>
    new ConfigError(`Cannot import ${quote(file)}: ${problem}`, cause === undefined ? undefined : { cause });

  const abort = new AbortController();
  const parser = new Parser({
    strict: true,
    // Deflate tops out near 1032:1, and a cached array of zeros really does compress that well; tar's default cap (1000) would refuse it.
    maxDecompressionRatio: Number.POSITIVE_INFINITY,
  });
  let failure: Error | undefined;
  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    abort.abort(error);
    parser.abort(new Error('memoflow stopped reading the archive'));
  };

  let manifest: ArchiveManifest | undefined;
  let sawManifest = false;
  const referenced = new Set<string>();
  const blobs = new Map<string, string>();
  const staging: Promise<void>[] = [];

  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return void entry.resume();
    const blob = BLOB_PATH.exec(entry.path)?.[1];
    if (entry.type !== 'File' || (entry.path !== MANIFEST_PATH && blob === undefined)) {
      return fail(
        notAnArchive(
          `it holds ${entry.type} entry ${quote(entry.path)}; a memoflow archive holds only the files \`manifest.json\` and \`blobs/<sha256>\`. It was not written by memoflow, or was altered.`,
        ),
      );
    }
    if (!sawManifest) {
      if (entry.path !== MANIFEST_PATH) {
        return fail(
          notAnArchive(`it does not start with \`manifest.json\` (first entry: ${quote(entry.path)}).`),
        );
      }
      sawManifest = true;
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Parsed in 'end', which runs before the parser hands out the next entry, so every blob is checked against it.
      entry.on('end', () => {
        try {
          manifest = parseManifest(Buffer.concat(chunks).toString('utf8'));
          for (const { blob } of manifest.entries) referenced.add(blob);
        } catch (error) {
          fail(error instanceof ConfigError ? notAnArchive(error.message) : (error as Error));
        }
      });
      return;
    }
    if (blob === undefined) return fail(notAnArchive('it holds a second `manifest.json`.'));
    if (!referenced.has(blob)) {
      return fail(notAnArchive(`it holds blob ${blob}, which no entry of its manifest refers to.`));
    }
    if (blobs.has(blob)) return fail(notAnArchive(`it holds blob ${blob} twice.`));
    const staged = join(stagingDir, blob);
    blobs.set(blob, staged);
    staging.push(
      stageBlob(entry, blob, staged, abort.signal).catch((error: Error) =>
        fail(error instanceof ConfigError ? notAnArchive(error.message) : ioError(error)),
      ),
    );
  });

  try {
    await new Promise<void>((resolve, reject) => {
      parser.on('end', resolve);
      parser.on('error', (error: Error) =>
        reject(failure ?? notAnArchive(`it is not a valid .tar.gz (${error.message}).`, error)),
      );
      input.on('error', (error) => reject(ioError(error)));
      input.pipe(parser);
    });
    await Promise.all(staging);
    if (failure) throw failure;
    if (!manifest) throw notAnArchive('it has no `manifest.json`; it is not a memoflow cache archive.');
    for (const entry of manifest.entries) {
      if (!blobs.has(entry.blob)) {
        throw notAnArchive(
          `entry ${quote(entry.key)} of node ${quote(entry.node)} needs blob ${entry.blob}, which the archive does not hold. Export the cache again.`,
        );
      }
    }
    return { manifest, blobs };
  } catch (error) {
    abort.abort(error);
    await Promise.allSettled(staging);
    if (createdDir !== undefined) await fsp.rm(createdDir, { recursive: true, force: true });
    else
      await Promise.all(
        [...blobs.values()]
          .flatMap((path) => [path, `${path}.partial`])
          .map((path) => fsp.rm(path, { force: true })),
      );
    throw error;
  } finally {
    input.destroy();
  }
}

function fileEntry(path: string, size: number, mtime: Date): ReadEntry {
  return new ReadEntry(new Header({ path, type: 'File', size, mode: 0o644, mtime }));
}

/** Streams one blob file's payload into `pack`, hashing it on the way; returns its payload bytes. */
/** Adds a blob held in memory (a small value from the journal), checked against its hash first. */
async function packBytes(pack: Pack, hash: string, payload: Uint8Array, mtime: Date): Promise<number> {
  const actual = createHash('sha256').update(payload).digest('hex');
  if (actual !== hash) {
    throw new BackendError(
      'disk',
      `Cannot export blob ${hash}: its payload hashes to ${actual}, so it is corrupt. Run verify() to remove the corrupt entry, then export again.`,
    );
  }
  const entry = fileEntry(`blobs/${hash}`, payload.length, mtime);
  pack.add(entry);
  if (!entry.write(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)))
    await once(entry, 'drain');
  entry.end();
  return payload.length;
}

async function packBlob(
  pack: Pack,
  hash: string,
  path: string,
  headerBytes: number,
  mtime: Date,
  signal: AbortSignal,
): Promise<number> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (error) {
    throw new BackendError('disk', `Cannot export blob ${hash}: ${messageOf(error)}`, { cause: error });
  }
  try {
    // Size and bytes come from the one open descriptor: a blob replaced or removed meanwhile is still read whole.
    const { size } = await handle.stat();
    const payloadBytes = size - headerBytes;
    if (payloadBytes < 0) {
      throw new BackendError(
        'disk',
        `Cannot export blob ${hash}: ${quote(path)} is ${size} bytes, shorter than its ${headerBytes}-byte header. Run verify() to remove the corrupt entry, then export again.`,
      );
    }
    const entry = fileEntry(`blobs/${hash}`, payloadBytes, mtime);
    pack.add(entry);
    const hasher = createHash('sha256');
    if (payloadBytes > 0) {
      const input = handle.createReadStream({ start: headerBytes, end: size - 1, autoClose: false, signal });
      for await (const chunk of input as AsyncIterable<Buffer>) {
        hasher.update(chunk);
        if (!entry.write(chunk)) await once(entry, 'drain', { signal });
      }
    }
    const actual = hasher.digest('hex');
    if (actual !== hash) {
      throw new BackendError(
        'disk',
        `Cannot export blob ${hash}: its payload in ${quote(path)} hashes to ${actual}, so it is corrupt. Run verify() to remove the corrupt entry, then export again.`,
      );
    }
    entry.end();
    return payloadBytes;
  } finally {
    await handle.close();
  }
}

/** Writes one archive entry to `<staged>.partial`, checks its sha256, and renames it to `staged`. */
async function stageBlob(entry: ReadEntry, hash: string, staged: string, signal: AbortSignal): Promise<void> {
  const partial = `${staged}.partial`;
  const out = fs.createWriteStream(partial, { signal });
  const hasher = createHash('sha256');
  entry.on('data', (chunk: Buffer) => {
    hasher.update(chunk);
    if (!out.write(chunk)) {
      entry.pause();
      out.once('drain', () => entry.resume());
    }
  });
  entry.on('end', () => out.end());
  await finished(out);
  const actual = hasher.digest('hex');
  if (actual !== hash) {
    throw new ConfigError(
      `blob ${hash} is corrupt: its content hashes to ${actual}. The archive was damaged or altered; export it again.`,
    );
  }
  await fsp.rename(partial, staged);
}

/** Parses and checks `manifest.json`; throws ConfigError naming the problem. */
function parseManifest(text: string): ArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`its \`manifest.json\` is not valid JSON (${messageOf(error)}).`);
  }
  const manifest = value as Partial<ArchiveManifest> | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== FORMAT) {
    throw new ConfigError(
      `its \`manifest.json\` has format ${quote((manifest as { format?: unknown } | null)?.format)}, expected ${quote(FORMAT)}; it is not a memoflow cache archive.`,
    );
  }
  if (manifest.version !== VERSION) {
    throw new ConfigError(
      `it is format version ${quote(manifest.version)}; this memoflow reads version ${VERSION}. Import it with the memoflow version that exported it, or export it again.`,
    );
  }
  if (
    !isFiniteNumber(manifest.createdAt) ||
    !Array.isArray(manifest.entries) ||
    !Array.isArray(manifest.meta)
  ) {
    throw new ConfigError('its `manifest.json` lacks `createdAt`, `entries` or `meta`.');
  }
  for (const [index, entry] of manifest.entries.entries()) {
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.key === 'string' &&
      typeof entry.node === 'string' &&
      typeof entry.blob === 'string' &&
      HASH.test(entry.blob) &&
      [entry.bytes, entry.createdAt, entry.expiresAt, entry.computeMs].every(isFiniteNumber);
    if (!valid)
      throw new ConfigError(`entry ${index} of its \`manifest.json\` is malformed: ${quote(entry)}.`);
  }
  return manifest as ArchiveManifest;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
