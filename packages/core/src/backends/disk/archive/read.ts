/** Reading a cache archive: the manifest checked whole first, then each blob streamed to a staging file and checked on the way. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import pLimit from 'p-limit';
import { Parser, type ReadEntry } from 'tar';
import { ConfigError, quote } from '../../../errors.ts';
import { assertLimit, backendFailure } from '../../kit/index.ts';
import { type ArchiveManifest, BLOB_PATH, MANIFEST_PATH } from './archive.ts';
import { parseManifest } from './manifest.ts';

/** How {@link readArchive} stages blobs, and how much it accepts. */
export interface ReadArchiveOptions {
  /**
   * Bytes the archive's values may expand to, all blobs together. An archive whose manifest
   * declares more is refused before any blob is written; a blob longer than its manifest says is
   * refused at the first byte too many.
   * @default no limit
   */
  maxBytes?: number;
  /** Bytes reserved at the start of each staged file, before the payload, for `header`. @default 0 */
  headerBytes?: number;
  /**
   * The `headerBytes` bytes that start each staged file, made once its payload is written and
   * checked, from the payload's length and CRC32 (DiskCache stages blob files ready to link into place).
   * @default none (`headerBytes` must be 0)
   */
  header?: (hash: string, payloadBytes: number, crc32: number) => Uint8Array;
}

/**
 * Reads an archive written by `writeArchive`: stages its blobs in `stagingDir` (created if
 * missing) as `<stagingDir>/<hash>`, each streamed (never held in memory whole), checked against
 * the size its manifest declares and its sha256 name before it appears there. The manifest comes
 * first and is checked whole before any blob is written: format and version, every key as
 * DiskCache checks it in `set`, every node name, one size per blob, the total against `maxBytes`.
 * Every entry's blob must be present and every blob some entry's. Nothing in the archive is run,
 * and no archive path is used as a file path: only `manifest.json` and `blobs/<64 hex>` regular
 * files are accepted.
 *
 * @throws ConfigError when `file` is not a valid memoflow archive or exceeds `maxBytes` (the
 *   message names what is wrong: the bad key, the blob whose content does not match); BackendError
 *   when reading `file` or writing `stagingDir` fails. Either way, the files this call staged
 *   (whole or partial) are removed.
 */
export async function readArchive(
  file: string,
  stagingDir: string,
  options: ReadArchiveOptions = {},
): Promise<{ manifest: ArchiveManifest; blobs: Map<string, string> }> {
  const { maxBytes = Number.POSITIVE_INFINITY, headerBytes = 0, header } = options;
  assertLimit(maxBytes, 'maxBytes', 'import() options');
  if (!Number.isSafeInteger(headerBytes) || headerBytes < 0 || (headerBytes > 0 && !header)) {
    throw new TypeError(
      `\`headerBytes\` must be a non-negative integer, and come with \`header\` when above 0; got ${quote(headerBytes)}`,
    );
  }
  const ioError = (error: unknown) => backendFailure('disk', `Cannot import ${quote(file)}`, error);
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
  // Inflated by node:zlib, not by tar: tar inflates each chunk it is given whole (64 KiB can become
  // 64 MiB), where zlib's stream stops inflating while the staging file cannot take more.
  const gunzip = zlib.createGunzip();
  const notAnArchive = (problem: string, cause?: unknown) =>
    new ConfigError(`Cannot import ${quote(file)}: ${problem}`, cause === undefined ? undefined : { cause });

  const abort = new AbortController();
  const parser = new Parser({ strict: true });
  let failure: Error | undefined;
  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    abort.abort(error);
    parser.abort(new Error('memoflow stopped reading the archive'));
  };

  let manifest: ArchiveManifest | undefined;
  let declared = new Map<string, number>();
  let sawManifest = false;
  const blobs = new Map<string, string>();
  const staging: Promise<void>[] = [];
  const stage: StageContext = { headerBytes, header, signal: abort.signal };
  // An entry waiting for a slot is not read, so tar stops handing out more: open files and
  // buffered small blobs stay bounded however many blobs the archive holds.
  const limit = pLimit(STAGING_CONCURRENCY);

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
      if ((entry.size ?? 0) > MAX_MANIFEST_BYTES) {
        return fail(
          notAnArchive(
            `its \`manifest.json\` is ${entry.size} bytes, more than the ${MAX_MANIFEST_BYTES} a manifest can be read in. Export the cache in parts (\`export(file, { node })\`).`,
          ),
        );
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Checked in 'end', which runs before the parser hands out the next entry: no blob is written before the whole manifest passed.
      entry.on('end', () => {
        try {
          ({ manifest, declared } = parseManifest(Buffer.concat(chunks).toString('utf8'), maxBytes));
        } catch (error) {
          fail(error instanceof ConfigError ? notAnArchive(error.message) : (error as Error));
        }
      });
      return;
    }
    if (blob === undefined) return fail(notAnArchive('it holds a second `manifest.json`.'));
    const size = declared.get(blob);
    if (size === undefined) {
      return fail(notAnArchive(`it holds blob ${blob}, which no entry of its manifest refers to.`));
    }
    if (blobs.has(blob)) return fail(notAnArchive(`it holds blob ${blob} twice.`));
    if (entry.size !== size) {
      return fail(
        notAnArchive(
          `blob ${blob} is ${entry.size} bytes in the archive, but its manifest says ${size}. The archive was damaged or altered; export it again.`,
        ),
      );
    }
    const staged = join(stagingDir, blob);
    blobs.set(blob, staged);
    staging.push(
      limit(() => stageBlob(entry, blob, size, staged, stage)).catch((error: Error) =>
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
      gunzip.on('error', (error) =>
        reject(failure ?? notAnArchive(`it is not a valid .tar.gz (${error.message}).`, error)),
      );
      input.pipe(gunzip).pipe(parser);
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
    gunzip.destroy();
  }
}

/** Blobs staged at once. */
const STAGING_CONCURRENCY = 8;

/** A manifest is parsed as one string: V8's longest. */
const MAX_MANIFEST_BYTES = 2 ** 29 - 24;

interface StageContext {
  headerBytes: number;
  header: ReadArchiveOptions['header'];
  signal: AbortSignal;
}

/**
 * Streams one blob to `<staged>.partial` (after `headerBytes` reserved for its header), hashing
 * on the way, then checks its sha256 and renames it to `staged`. A byte beyond `size` stops it
 * at once; the caller removes the partial file.
 */
async function stageBlob(
  entry: ReadEntry,
  hash: string,
  size: number,
  staged: string,
  { headerBytes, header, signal }: StageContext,
): Promise<void> {
  // Queued behind others while the import failed: the parser that fed this entry is gone.
  signal.throwIfAborted();
  const partial = `${staged}.partial`;
  const out = fs.createWriteStream(partial, { flags: 'wx', start: headerBytes });
  const failed = once(out, 'error');
  failed.catch(() => {});
  const hasher = createHash('sha256');
  let crc = 0;
  let received = 0;
  // An aborted parser leaves its current entry open: ending it ends the loop below. (One listener,
  // removed when done: a signal given to each write stream would keep one per blob of the archive.)
  const stop = () => {
    entry.destroy();
    out.destroy();
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      received += chunk.length;
      // tar delivers as many bytes as its header says, and that was checked against the manifest; this guards the promise, not tar.
      if (received > size) {
        throw new ConfigError(`blob ${hash} is longer than the ${size} bytes its manifest declares.`);
      }
      hasher.update(chunk);
      crc = zlib.crc32(chunk, crc);
      if (!out.write(chunk)) await Promise.race([once(out, 'drain', { signal }), failed]);
    }
    signal.throwIfAborted();
    out.end();
    await finished(out);
  } catch (error) {
    out.destroy();
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
  const actual = hasher.digest('hex');
  if (received !== size || actual !== hash) {
    throw new ConfigError(
      `blob ${hash} is corrupt: its ${received} bytes hash to ${actual}. The archive was damaged or altered; export it again.`,
    );
  }
  if (header) {
    const head = header(hash, received, crc);
    if (head.length !== headerBytes) {
      throw new TypeError(`\`header\` gave ${head.length} bytes, not \`headerBytes\` (${headerBytes})`);
    }
    const handle = await fsp.open(partial, 'r+');
    try {
      await handle.write(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  }
  await fsp.rename(partial, staged);
}
