/**
 * How RedisCache stores a node's last signature (`<prefix>m:<node>`): its JSON, preceded, with a
 * `signingKey`, by an HMAC-SHA256 tag over the node name and that JSON:
 *
 *   hmac-sha256:<64 hex digits>\n{"node":…}
 *
 * A signature read back is checked field by field before anything uses it: the Runner explains
 * misses from it, and a value of another type there (a number where a hash belongs) would fail
 * the user's node with a TypeError of ours. One that fails a check, or (with a signing key) has
 * no valid tag, is treated as absent: the node's next miss is explained as `new`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NodeSignature } from '@memoflow/core/backend-kit';
import type { Warn } from './_options.ts';

const TAG_PREFIX = 'hmac-sha256:';
const TAG_HEX = 64;
/** Tags of signatures are computed apart from tags of entries, so neither can pass for the other. */
const DOMAIN = 'memoflow/redis/node-signature\0';
const KEY = /^[0-9a-f]{16,128}$/;

const HASHES = ['codeHash', 'envHash', 'inputsHash', 'depsHash'] as const;
const PARTS = ['codeParts', 'envParts', 'inputParts', 'depsParts'] as const;

function tagOf(signingKey: Uint8Array, node: string, json: string): Buffer {
  return createHmac('sha256', signingKey)
    .update(DOMAIN)
    .update(node, 'utf8')
    .update('\0')
    .update(json)
    .digest();
}

/** The stored text of a signature. */
export function encodeMeta(signature: NodeSignature, signingKey: Uint8Array | undefined): string {
  const json = JSON.stringify(signature);
  if (!signingKey) return json;
  return `${TAG_PREFIX}${tagOf(signingKey, signature.node, json).toString('hex')}\n${json}`;
}

/**
 * The signature stored for `node`, or what is wrong with it (a sentence for a warning). With a
 * signing key the tag must be valid; without one a tag is skipped unchecked, as unsigned
 * readers of a signed cache read its entries.
 */
export function decodeMeta(
  node: string,
  text: string,
  signingKey: Uint8Array | undefined,
): NodeSignature | { problem: string } {
  let json = text;
  if (text.startsWith(TAG_PREFIX)) {
    const tag = text.slice(TAG_PREFIX.length, TAG_PREFIX.length + TAG_HEX);
    json = text.slice(TAG_PREFIX.length + TAG_HEX + 1);
    if (signingKey) {
      const given = Buffer.from(tag, 'hex');
      const expected = tagOf(signingKey, node, json);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { problem: 'its HMAC tag is wrong (written with another signing key, or altered)' };
      }
    }
  } else if (signingKey) {
    return { problem: 'it has no HMAC tag (written without the signing key)' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { problem: `it is not JSON (${quoteStart(json)})` };
  }
  return checkSignature(node, parsed);
}

/** A fresh signature of the checked fields only, or the first field that is wrong. */
function checkSignature(node: string, parsed: unknown): NodeSignature | { problem: string } {
  if (!isRecord(parsed)) return { problem: `it is ${describe(parsed)}, not an object` };
  const wrong = (field: string, expected: string) => ({
    problem: `its \`${field}\` is ${describe(parsed[field])}, expected ${expected}`,
  });
  if (parsed.node !== node) return wrong('node', `\`${JSON.stringify(node)}\` (the key's node)`);
  if (typeof parsed.key !== 'string' || !KEY.test(parsed.key)) return wrong('key', 'a hex digest');
  for (const field of HASHES) if (typeof parsed[field] !== 'string') return wrong(field, 'a string');
  if (parsed.outputHash !== undefined && typeof parsed.outputHash !== 'string')
    return wrong('outputHash', 'a string');
  if (!Number.isFinite(parsed.timestamp)) return wrong('timestamp', 'a number');
  if (parsed.computeMs !== undefined && !Number.isFinite(parsed.computeMs))
    return wrong('computeMs', 'a number');
  const signature: NodeSignature = {
    node,
    key: parsed.key,
    codeHash: parsed.codeHash as string,
    envHash: parsed.envHash as string,
    inputsHash: parsed.inputsHash as string,
    depsHash: parsed.depsHash as string,
    timestamp: parsed.timestamp as number,
  };
  if (parsed.outputHash !== undefined) signature.outputHash = parsed.outputHash;
  if (parsed.computeMs !== undefined) signature.computeMs = parsed.computeMs as number;
  for (const field of PARTS) {
    const parts = parsed[field];
    if (parts === undefined) continue;
    if (!isRecord(parts)) return wrong(field, 'an object of strings');
    // Part names include node names (`depsParts`): a table without a prototype keeps
    // `__proto__` or `constructor` an ordinary name.
    const copy: Record<string, string> = Object.create(null);
    for (const [name, value] of Object.entries(parts)) {
      if (typeof value !== 'string') return wrong(`${field}.${name}`, 'a string');
      copy[name] = value;
    }
    signature[field] = copy;
  }
  return signature;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${typeof value === 'string' ? quoteStart(value) : String(value)}`;
}

function quoteStart(text: string): string {
  return text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text);
}

/** Signatures read back and ignored: each node warned about once, until a store replaces its signature. */
export class IgnoredSignatures {
  readonly #warned = new Set<string>();

  constructor(
    readonly warn: Warn,
    /** The server, for the message. */
    readonly location: string,
  ) {}

  /** Warns (once per node) that the signature under `key` is ignored, and why. */
  ignored(node: string, key: string, problem: string): void {
    if (this.#warned.has(node)) return;
    this.#warned.add(node);
    this.warn(
      `memoflow: the node signature \`${key}\` in Redis at ${this.location} is ignored: ` +
        `${problem}. Node \`${node}\`'s next miss is explained as new, and its next store replaces it.`,
      'MEMOFLOW_REDIS_REJECTED',
    );
  }

  /** The node's signature was stored again: a bad one read later is warned about again. */
  replaced(node: string): void {
    this.#warned.delete(node);
  }
}
