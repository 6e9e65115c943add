import type { CacheBackend, EntryInfo, NodeSignature } from '../backends/index.ts';

const warned = new WeakSet<CacheBackend>();

/** Warns once per backend that it failed: the computation's result is still returned. */
export function warnOnce(backend: CacheBackend, error: unknown): void {
  if (warned.has(backend)) return;
  warned.add(backend);
  const reason = error instanceof Error ? error.message : String(error);
  process.emitWarning(
    `memoflow: the ${backend.name} cache failed (${reason}); results are computed and returned, but not stored.`,
    {
      code: 'MEMOFLOW_BACKEND',
    },
  );
}

/**
 * Stores a computed result and the signature it was computed under. With retention `latest`,
 * the node's previous entry is deleted once the new one is in place. A failing backend costs
 * only the cache: the error is warned once, never thrown.
 */
export async function storeResult(
  backend: CacheBackend,
  bytes: Uint8Array,
  info: EntryInfo,
  meta: NodeSignature,
  retention: 'all' | 'latest' = 'all',
): Promise<void> {
  try {
    const previous = retention === 'latest' ? await backend.getMeta(meta.node) : undefined;
    await backend.setBlob(meta.key, bytes, info);
    await backend.setMeta(meta);
    if (previous && previous.key !== meta.key) await backend.delete(previous.key);
  } catch (error) {
    warnOnce(backend, error);
  }
}
