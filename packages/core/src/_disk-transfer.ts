/** Moving a DiskCache between machines: its entries, values and signatures as one archive. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import type { ArchiveEntry } from './_disk-archive.ts';
import { BLOB_HEADER_BYTES, blobPath } from './_disk-blob.ts';
import type { DiskIndex, PutFields } from './_disk-index.ts';
import type { NodeSignature, OnProgress } from './backend.ts';
import { BackendError } from './errors.ts';

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
  const { writeArchive } = await import('./_disk-archive.ts');
  return writeArchive(file, manifest, source, BLOB_HEADER_BYTES, onProgress);
}

/**
 * Adds the entries of an archive: every value is checked against its hash before anything is
 * stored; entries keep their creation time and compute time, and count as used now.
 */
export async function importCache(
  files: CacheFiles,
  file: string,
  store: (entry: PutFields, payload: Uint8Array) => Promise<void>,
  setMeta: (signature: NodeSignature) => void,
  onProgress?: OnProgress,
): Promise<TransferResult> {
  const staging = join(files.temp, `import-${randomBytes(6).toString('hex')}`);
  const { readArchive } = await import('./_disk-archive.ts');
  const { manifest, blobs } = await readArchive(file, staging);
  try {
    const now = Date.now();
    let bytes = 0;
    let done = 0;
    for (const entry of manifest.entries) {
      const payload = fs.readFileSync(blobs.get(entry.blob)!);
      await store(
        {
          key: entry.key,
          blob: entry.blob,
          node: entry.node,
          bytes: payload.length,
          created: entry.createdAt,
          expires: entry.expiresAt,
          computeMs: entry.computeMs,
          access: now,
          hits: 0,
        },
        payload,
      );
      bytes += payload.length;
      onProgress?.(++done, manifest.entries.length);
    }
    for (const signature of manifest.meta as NodeSignature[]) setMeta(signature);
    return { entries: manifest.entries.length, blobs: blobs.size, bytes };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
