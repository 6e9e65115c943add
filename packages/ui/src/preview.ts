/**
 * A bounded picture of a node's stored value: its bytes decoded by the node's serializer and
 * shown by `util.inspect` with depth and length limits. Nothing is computed: a node never stored
 * says so, and a value over the size limit is not read at all.
 */
import { inspect } from 'node:util';
import type { CacheBackend, PipelineNode } from '@memoflow/core';
import { v8Serializer } from '@memoflow/core';
import { decodeEntry, type EntryRecord, formatBytes, MISS } from '@memoflow/core/backend-kit';
import type { ValuePreview } from './types.ts';

/** Stored values larger than this many bytes are not previewed. @default 1 MiB */
export const PREVIEW_LIMIT_BYTES = 1024 * 1024;

/** At most this many characters of inspected text are sent. */
const TEXT_LIMIT = 20_000;

/** The items of a mapped node previewed. */
const ITEMS_SHOWN = 5;

const INSPECT_OPTIONS = {
  depth: 4,
  maxArrayLength: 50,
  maxStringLength: 2_000,
  breakLength: 100,
  compact: 3,
} as const;

/**
 * The preview of `node`'s value under its last recorded key; for a mapped node, whose items are
 * stored one by one, the first few items stored.
 */
export async function previewValue(
  backend: CacheBackend,
  node: PipelineNode,
  limitBytes = PREVIEW_LIMIT_BYTES,
): Promise<ValuePreview> {
  const preview: ValuePreview = { node: node.name };
  if (node.map !== undefined) return previewItems(backend, node, limitBytes);
  const signature = await backend.getMeta(node.name);
  if (!signature) return { ...preview, message: 'nothing stored yet: the node has not been computed' };
  preview.key = signature.key;
  const record = await recordOf(backend, node.name, signature.key);
  if (!record) return { ...preview, message: 'not in the cache: the value was removed or expired' };
  preview.bytes = record.bytes;
  if (record.bytes > limitBytes) return { ...preview, message: tooLarge(record.bytes, limitBytes) };
  const shown = await decodedText(backend, node, record.key);
  return typeof shown === 'string' ? { ...preview, text: shown } : { ...preview, message: shown.message };
}

/** Items of a mapped node: each stored under a key of its own, listed by node. */
async function previewItems(
  backend: CacheBackend,
  node: PipelineNode,
  limitBytes: number,
): Promise<ValuePreview> {
  const records: EntryRecord[] = [];
  let stored = 0;
  for await (const record of backend.entries({ node: node.name })) {
    stored++;
    if (records.length < ITEMS_SHOWN) records.push(record);
  }
  if (stored === 0) return { node: node.name, message: 'nothing stored yet: no item has been computed' };
  const parts: string[] = [];
  let bytes = 0;
  for (const record of records) {
    bytes += record.bytes;
    if (record.bytes > limitBytes) {
      parts.push(`item ${record.key.slice(0, 12)}…: ${tooLarge(record.bytes, limitBytes)}`);
      continue;
    }
    const shown = await decodedText(backend, node, record.key);
    parts.push(`item ${record.key.slice(0, 12)}…: ${typeof shown === 'string' ? shown : shown.message}`);
  }
  return {
    node: node.name,
    bytes,
    text: clip(parts.join('\n')),
    items: { stored, shown: records.length },
  };
}

/** The entry stored under `key` for `node`, found in the node's listing (sizes without reading). */
async function recordOf(backend: CacheBackend, node: string, key: string): Promise<EntryRecord | undefined> {
  for await (const record of backend.entries({ node })) if (record.key === key) return record;
  return undefined;
}

/** The inspected value under `key`, or why there is none. */
async function decodedText(
  backend: CacheBackend,
  node: PipelineNode,
  key: string,
): Promise<string | { message: string }> {
  const bytes = await backend.getBlob(key);
  if (!bytes) return { message: 'not in the cache: the value was removed or expired' };
  const serializer = node.fn.options.serializer ?? v8Serializer;
  let value: unknown;
  try {
    value = decodeEntry(bytes, serializer);
  } catch (error) {
    return { message: `cannot be decoded: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (value === MISS) {
    return {
      message: `cannot be decoded by the node's serializer (${serializer.name}): it was stored by another one`,
    };
  }
  return clip(inspect(value, INSPECT_OPTIONS));
}

function tooLarge(bytes: number, limitBytes: number): string {
  return `too large to preview (${formatBytes(bytes)}; the limit is ${formatBytes(limitBytes)})`;
}

function clip(text: string): string {
  return text.length <= TEXT_LIMIT
    ? text
    : `${text.slice(0, TEXT_LIMIT)}\n… ${text.length - TEXT_LIMIT} more characters`;
}
