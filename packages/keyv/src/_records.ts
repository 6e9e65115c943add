/**
 * What KeyvCache stores in Keyv, and how it reads it back. Every record is a string, so any Keyv
 * serializer, compression adapter and store carries it unchanged; decoding is a `JSON.parse` of
 * our own header and a base64 decode, never anything that can run code.
 *
 * ```
 * memoflow:entry:<key>    memoflow-entry/1 \n {"key","node","bytes","createdAt","expiresAt"?,"computeMs"?,"sha256"} \n <base64 of the bytes>
 * memoflow:access:<key>   memoflow-access/1 \n {"createdAt","lastAccess","hits"}
 * memoflow:meta:<sha256 of the node name>   memoflow-meta/1 \n <the NodeSignature as JSON>
 * ```
 */
import { hash } from 'node:crypto';
import type { NodeSignature } from '@memoflow/core/backend-kit';

const ENTRY_MAGIC = 'memoflow-entry/1\n';
const ACCESS_MAGIC = 'memoflow-access/1\n';
const META_MAGIC = 'memoflow-meta/1\n';
const SHA256 = /^[0-9a-f]{64}$/;

/** The record keys of this cache, as given to Keyv (which adds its namespace). */
export const entryKey = (key: string): string => `memoflow:entry:${key}`;
export const accessKey = (key: string): string => `memoflow:access:${key}`;
export const metaKey = (node: string): string => `memoflow:meta:${hash('sha256', node, 'hex')}`;

export type RecordKind = 'entry' | 'access' | 'meta';

/** Recognizes one of our record keys at the end of a key as a store lists it; the caller checks the rest. */
const RECORD_KEY = /memoflow:(entry|access|meta):([0-9a-f]{16,128})$/;

export function parseRecordKey(listed: string): { kind: RecordKind; id: string; key: string } | undefined {
  const match = RECORD_KEY.exec(listed);
  if (match === null) return undefined;
  return { kind: match[1] as RecordKind, id: match[2]!, key: match[0] };
}

/** What an entry's header says about it: everything management needs, without decoding its bytes. */
export interface EntryHeader {
  key: string;
  node: string;
  bytes: number;
  createdAt: number;
  expiresAt?: number;
  computeMs?: number;
  sha256: string;
}

/** The header of an entry stored now: `ttl` undefined when it never expires; a compute time kept only when it is a time. */
export function entryHeader(
  key: string,
  value: Uint8Array,
  node: string,
  createdAt: number,
  ttl: number | undefined,
  computeMs: number | undefined,
): EntryHeader {
  return {
    key,
    node,
    bytes: value.length,
    createdAt,
    ...(ttl === undefined ? {} : { expiresAt: createdAt + ttl }),
    ...(typeof computeMs === 'number' && Number.isFinite(computeMs) && computeMs >= 0 ? { computeMs } : {}),
    sha256: hash('sha256', value, 'hex'),
  };
}

export function encodeEntry(header: EntryHeader, value: Uint8Array): string {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return `${ENTRY_MAGIC}${JSON.stringify(header)}\n${bytes.toString('base64')}`;
}

/** A decoded entry header and where its base64 payload starts; undefined when anything is off. */
export interface ReadEntry {
  header: EntryHeader;
  text: string;
  payloadAt: number;
}

/**
 * Reads an entry's header and checks that the payload has the length the header promises, without
 * decoding it: enough to list the entry. `decodePayload` checks the bytes themselves.
 */
export function readEntry(key: string, text: unknown): ReadEntry | undefined {
  if (typeof text !== 'string' || !text.startsWith(ENTRY_MAGIC)) return undefined;
  const headerEnd = text.indexOf('\n', ENTRY_MAGIC.length);
  if (headerEnd < 0) return undefined;
  const header = parseJson(text.slice(ENTRY_MAGIC.length, headerEnd));
  if (!isEntryHeader(header) || header.key !== key) return undefined;
  const payloadAt = headerEnd + 1;
  if (text.length - payloadAt !== base64Length(header.bytes)) return undefined;
  return { header, text, payloadAt };
}

/** The entry's bytes, in a buffer of their own, if they hash to what the header says. */
export function decodePayload(entry: ReadEntry): Uint8Array | undefined {
  const { header, text, payloadAt } = entry;
  const bytes = new Uint8Array(header.bytes);
  // Decoded straight into a buffer the caller owns: no pooled slab a decoded view could reach past.
  const written = Buffer.from(bytes.buffer).write(text.slice(payloadAt), 'base64');
  if (written !== header.bytes || hash('sha256', bytes, 'hex') !== header.sha256) return undefined;
  return bytes;
}

/** Reads recorded on one entry; `createdAt` ties them to the entry they were made on. */
export interface AccessRecord {
  createdAt: number;
  lastAccess: number;
  hits: number;
}

export const encodeAccess = (access: AccessRecord): string => `${ACCESS_MAGIC}${JSON.stringify(access)}`;

export function decodeAccess(text: unknown): AccessRecord | undefined {
  if (typeof text !== 'string' || !text.startsWith(ACCESS_MAGIC)) return undefined;
  const access = parseJson(text.slice(ACCESS_MAGIC.length));
  if (!isObject(access)) return undefined;
  const { createdAt, lastAccess, hits } = access;
  if (!isTime(createdAt) || !isTime(lastAccess) || !Number.isSafeInteger(hits) || (hits as number) < 0) {
    return undefined;
  }
  return { createdAt, lastAccess, hits: hits as number };
}

export const encodeMeta = (signature: NodeSignature): string => `${META_MAGIC}${JSON.stringify(signature)}`;

/** The signature stored for `node`, if the record is whole and is that node's. */
export function decodeMeta(node: string, text: unknown): NodeSignature | undefined {
  if (typeof text !== 'string' || !text.startsWith(META_MAGIC)) return undefined;
  const signature = parseJson(text.slice(META_MAGIC.length));
  return isSignature(signature) && signature.node === node ? signature : undefined;
}

/** Whether a meta record is whole, whichever node it belongs to. */
export function isMetaRecord(text: unknown): boolean {
  return (
    typeof text === 'string' &&
    text.startsWith(META_MAGIC) &&
    isSignature(parseJson(text.slice(META_MAGIC.length)))
  );
}

/** Characters of the base64 text of `bytes` bytes (padded). */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isEntryHeader(value: unknown): value is EntryHeader {
  if (!isObject(value)) return false;
  return (
    typeof value.key === 'string' &&
    typeof value.node === 'string' &&
    Number.isSafeInteger(value.bytes) &&
    (value.bytes as number) >= 0 &&
    isTime(value.createdAt) &&
    (value.expiresAt === undefined || isTime(value.expiresAt)) &&
    (value.computeMs === undefined || isTime(value.computeMs)) &&
    typeof value.sha256 === 'string' &&
    SHA256.test(value.sha256)
  );
}

const SIGNATURE_HASHES = ['key', 'codeHash', 'envHash', 'inputsHash', 'depsHash'] as const;
const SIGNATURE_PARTS = ['codeParts', 'envParts', 'inputParts', 'depsParts'] as const;

function isSignature(value: unknown): value is NodeSignature {
  if (!isObject(value) || typeof value.node !== 'string' || !isTime(value.timestamp)) return false;
  if (!SIGNATURE_HASHES.every((field) => typeof value[field] === 'string')) return false;
  if (value.outputHash !== undefined && typeof value.outputHash !== 'string') return false;
  if (value.computeMs !== undefined && !isTime(value.computeMs)) return false;
  return SIGNATURE_PARTS.every((field) => value[field] === undefined || isStringRecord(value[field]));
}

function isStringRecord(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((part) => typeof part === 'string');
}
