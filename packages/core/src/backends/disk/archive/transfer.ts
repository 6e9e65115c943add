/** Moving a DiskCache between machines: its entries, values and signatures as one archive. */
import fs from 'node:fs';
import { dirname } from 'node:path';
import { BackendError } from '../../../errors.ts';
import type { NodeSignature, OnProgress } from '../../contract.ts';
import { BLOB_HEADER_BYTES, blobHeader, blobPath } from '../blob.ts';
import { tempPathIn, withDirectory } from '../fs.ts';
import type { DiskIndex, PutFields } from '../index/index.ts';
import type { ArchiveEntry } from './archive.ts';

/** What `export()` wrote or `import()` added. */
export interface TransferResult {
  entries: number;
  blobs: number;
  /** Bytes of values, before compression. */
  bytes: number;
}

/** Where a cache keeps its files. */
export interface CacheFiles {
  blobs: string;
  temp: string;
}

export async function exportCache(
  index: DiskIndex | undefined,
  files: CacheFiles,
  file: string,
  node?: string,
  onProgress?: OnProgress,
): Promise<TransferResult> {
  const entries: ArchiveEntry[] = [];
  const nodes = new Set<string>();
  const now = Date.now();
  for (const entry of index?.rows(node) ?? []) {
    if (entry.expires !== 0 && entry.expires <= now) continue;
    entries.push({
      key: entry.key,
      node: entry.node,
      blob: entry.blob,
      bytes: entry.bytes,
      createdAt: entry.created,
      expiresAt: entry.expires,
      computeMs: entry.computeMs,
    });
    nodes.add(entry.node);
  }
  const meta = [...nodes].flatMap((name) => index?.getMeta(name) ?? []);
  const manifest = { format: 'memoflow-cache' as const, version: 1 as const, createdAt: now, entries, meta };
  // A small value is in the journal; a larger one is streamed from its file.
  const source = (blob: string) => {
    const inline = index?.inlineBlob(blob);
    if (!inline) return blobPath(files.blobs, blob);
    if ('payload' in inline) return inline.payload;
    throw new BackendError(
      'disk',
      `Cannot export blob ${blob}: its record in the index is damaged. Run verify() to remove the corrupt entry, then export again.`,
    );
  };
  // tar loads with the first export or import, not with every DiskCache.
  const { writeArchive } = await import('./archive.ts');
  return writeArchive(file, manifest, source, BLOB_HEADER_BYTES, onProgress);
}

/** Options of `DiskCache.import()`. */
export interface ImportOptions {
  /**
   * Bytes the archive's values may expand to, all of them together. An archive whose manifest
   * declares more is refused before a byte of it is written, and no blob may grow past the size
   * its manifest declares, so a small archive cannot inflate into a full disk unannounced.
   * Values are streamed to disk, never held in memory whole, so size costs disk, not memory: the
   * default sets no bound, as a fixed one would refuse legitimate caches of large values. Set it
   * when importing an archive you did not export.
   * @default no limit
   */
  maxBytes?: number;
  /** Called after each entry is stored, with how many of how many. @default none */
  onProgress?: OnProgress;
}

/**
 * Stores one imported entry: `payload` is the value when it is small enough to be read whole
 * (it may go inline), undefined otherwise; `writeFile` puts the value's blob file in place.
 */
export type StoreImported = (
  entry: PutFields,
  payload: Uint8Array | undefined,
  writeFile: () => void,
) => Promise<void>;

/** Values up to this size are read whole and may go in the journal (DiskCache keeps at most 1 MiB inline); larger ones only ever move as files. */
const READ_WHOLE_BYTES = 1 << 20;

/**
 * Adds the entries of an archive: the manifest and every value are checked (each value streamed
 * to a staged blob file, hashed on the way) before anything is stored; entries keep their creation
 * time and compute time, and count as used now.
 */
export async function importCache(
  files: CacheFiles,
  file: string,
  options: ImportOptions,
  store: StoreImported,
  setMeta: (signature: NodeSignature) => void,
): Promise<TransferResult> {
  // Named like every temp file of the cache, after this process: a sweep leaves it while the import runs, and removes it if the process dies.
  const staging = tempPathIn(files.temp);
  const { readArchive } = await import('./read.ts');
  const { manifest, blobs } = await readArchive(file, staging, {
    maxBytes: options.maxBytes,
    headerBytes: BLOB_HEADER_BYTES,
    header: blobHeader,
  });
  try {
    const now = Date.now();
    let bytes = 0;
    let done = 0;
    for (const entry of manifest.entries) {
      const staged = blobs.get(entry.blob)!;
      const payload = entry.bytes <= READ_WHOLE_BYTES ? readPayload(staged) : undefined;
      await store(
        {
          key: entry.key,
          blob: entry.blob,
          node: entry.node,
          bytes: entry.bytes,
          created: entry.createdAt,
          expires: entry.expiresAt,
          computeMs: entry.computeMs,
          access: now,
          hits: 0,
        },
        payload,
        () => linkBlob(files, entry.blob, staged),
      );
      bytes += entry.bytes;
      options.onProgress?.(++done, manifest.entries.length);
    }
    for (const signature of manifest.meta as NodeSignature[]) setMeta(signature);
    return { entries: manifest.entries.length, blobs: blobs.size, bytes };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function readPayload(staged: string): Uint8Array {
  return fs.readFileSync(staged).subarray(BLOB_HEADER_BYTES);
}

/**
 * Puts a staged blob file (header and payload, checked) in place unless it is there: a hard link,
 * so the value is not copied; where links are not supported, a copy renamed into place. Either way
 * a reader sees no file or the whole file. The staged file stays, for the next entry sharing it.
 */
function linkBlob(files: CacheFiles, hash: string, staged: string): void {
  const path = blobPath(files.blobs, hash);
  if (fs.existsSync(path)) return;
  try {
    withDirectory(dirname(path), () => fs.linkSync(staged, path));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
  }
  const temp = tempPathIn(files.temp);
  try {
    fs.copyFileSync(staged, temp, fs.constants.COPYFILE_EXCL);
    withDirectory(dirname(path), () => fs.renameSync(temp, path));
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
