/**
 * Values ↔ bytes. Backends store opaque bytes; this module turns a node's result into those bytes
 * and back, and refuses at store time a value that would not read back the same.
 */
import v8 from 'node:v8';
import { ConfigError, quote, SerializationError } from '../errors.ts';
import { packArrays } from './pack.ts';
import { findRoundTripFailure, type RoundTripFailure } from './round-trip.ts';

/** Turns values into bytes and back. Its `name` is stored with every entry: entries written under another name are misses. */
export interface Serializer {
  /** Name and format version, stored with every entry, e.g. `'v8@node20'`. At most 255 bytes of UTF-8. */
  readonly name: string;
  serialize(value: unknown): Uint8Array;
  /** Must not run code found in the bytes. */
  deserialize(bytes: Uint8Array): unknown;
}

/**
 * node:v8's structured clone: Map, Set, Date, RegExp, BigInt, boxed primitives, ArrayBuffer,
 * typed arrays, Buffer, the built-in Error classes, cycles and sparse arrays survive; see
 * `assertRoundTrips` for what does not. The format follows V8, so the name carries the Node
 * major version (which pins the V8 version); an entry written by another Node major is a miss.
 * Typed arrays and Buffers read back own their memory: they never share it with the stored bytes.
 * Arrays read back are packed, so that a value read back writes the same bytes as when fresh.
 */
export const v8Serializer: Serializer = {
  name: `v8@node${process.versions.node.split('.')[0]}`,
  serialize: (value) => v8.serialize(value),
  deserialize: (bytes) => {
    const deserializer = new OwnMemoryDeserializer(bytes);
    deserializer.readHeader();
    return packArrays(deserializer.readValue());
  },
};

/** Returned by `decodeEntry` for bytes that do not decode to a value with the given serializer. */
export const MISS: unique symbol = Symbol('memoflow.miss');

/**
 * Throws a `SerializationError` naming the path to the first part of `value` that would not read
 * back the same through `v8Serializer`: a function, a symbol, a class instance (its prototype
 * would be lost), a subclass of a built-in, a custom Error subclass or an Error with extra own
 * properties, a symbol-keyed or non-enumerable own property of a plain object, an own property
 * on a Map / Set / Date / RegExp / boxed primitive, a RegExp with a non-zero `lastIndex`, a
 * Promise, WeakMap, WeakSet, WeakRef, SharedArrayBuffer or Proxy, or nesting deeper than 1,000
 * levels. Null-prototype objects are accepted: they read back as plain objects with the same data.
 *
 * @example assertRoundTrips({ model: new Model() }, 'train') // throws: `result.model` is an instance of class `Model` …
 */
export function assertRoundTrips(value: unknown, node: string): void {
  let failure: RoundTripFailure | undefined;
  try {
    failure = findRoundTripFailure(value);
  } catch (cause) {
    // A getter that throws, or a stack overflow on a structure too deep for the checker.
    throw new SerializationError(
      node,
      'result',
      `Cannot store the result of ${code(node)}: reading it failed (${errorMessage(cause)}). ${fix(node)}`,
      { cause },
    );
  }
  if (failure === undefined) return;
  const path = `result${failure.path}`;
  throw new SerializationError(
    node,
    path,
    `Cannot store the result of ${code(node)}: ${code(path)} ${failure.reason}. ${fix(node)}`,
  );
}

/**
 * The bytes to store for `value`: an envelope naming the serializer (magic, name, payload), so
 * that bytes written by another serializer or format version read back as a miss. With
 * `v8Serializer`, `assertRoundTrips` runs first. A serializer's own error is wrapped in a
 * `SerializationError` with the original as `cause`.
 */
export function encodeEntry(value: unknown, serializer: Serializer, node: string): Uint8Array {
  const tag = envelopeOf(serializer);
  if (serializer === v8Serializer) {
    assertRoundTrips(value, node);
    try {
      // Writing the envelope into the serializer's own buffer saves copying the payload after it.
      const writer = new v8.DefaultSerializer();
      writer.writeRawBytes(tag);
      writer.writeHeader();
      writer.writeValue(value);
      return writer.releaseBuffer();
    } catch (cause) {
      throw serializerFailed(node, serializer, cause);
    }
  }
  let payload: Uint8Array;
  try {
    payload = serializer.serialize(value);
  } catch (cause) {
    throw serializerFailed(node, serializer, cause);
  }
  const entry = new Uint8Array(tag.length + payload.length);
  entry.set(tag, 0);
  entry.set(payload, tag.length);
  return entry;
}

/**
 * The value `encodeEntry` stored, or `MISS` when the bytes are not an entry, were written by
 * another serializer or format version, or fail to decode. Never throws; runs no code from the bytes.
 */
export function decodeEntry(bytes: Uint8Array, serializer: Serializer): unknown | typeof MISS {
  try {
    const tag = envelopeOf(serializer);
    if (bytes.length < tag.length) return MISS;
    for (let i = 0; i < tag.length; i++) if (bytes[i] !== tag[i]) return MISS;
    return serializer.deserialize(bytes.subarray(tag.length));
  } catch {
    return MISS;
  }
}

/** "MFE" + envelope version 2 (version 1 was not padded). */
const MAGIC = [0x4d, 0x46, 0x45, 0x02] as const;
const envelopes = new WeakMap<Serializer, Uint8Array>();

function envelopeOf(serializer: Serializer): Uint8Array {
  let tag = envelopes.get(serializer);
  if (tag !== undefined) return tag;
  const name = Buffer.from(serializer.name, 'utf8');
  if (name.length === 0 || name.length > 255) {
    throw new ConfigError(
      `Serializer name ${quote(serializer.name)} must be 1 to 255 bytes of UTF-8, e.g. 'msgpackr@1'.`,
    );
  }
  // Padded with zeros to a multiple of 8 bytes, so the payload starts 8-aligned (blob headers are
  // 24 bytes). v8 puts a stored typed array's data 8 bytes into the payload when its length is 2 to
  // 256 MiB, so such an array decodes as a view of the bytes read; smaller ones are copied, cheaply.
  tag = new Uint8Array(Math.ceil((MAGIC.length + 1 + name.length) / 8) * 8);
  tag.set(MAGIC, 0);
  tag[MAGIC.length] = name.length;
  tag.set(name, MAGIC.length + 1);
  envelopes.set(serializer, tag);
  return tag;
}

interface HostObjectReader {
  _readHostObject(): NodeJS.ArrayBufferView;
}
const readHostObject = (v8.DefaultDeserializer.prototype as unknown as HostObjectReader)._readHostObject;

/**
 * Node's reader returns typed arrays as views into the bytes being read. Backends hand out bytes
 * the caller owns (`getBlob`), so a view cannot corrupt a cache; but a small array must not pin
 * a large buffer, so small views are copied. A view that is most of the buffer stays a view:
 * copying a 64 MiB array would double the cost of the hit for nothing.
 */
class OwnMemoryDeserializer extends v8.DefaultDeserializer {
  readonly #input: Uint8Array;

  constructor(input: Uint8Array) {
    super(input);
    this.#input = input;
  }

  _readHostObject(): NodeJS.ArrayBufferView {
    const view = readHostObject.call(this);
    if (view.buffer !== this.#input.buffer || view.byteLength * 2 >= this.#input.byteLength) return view;
    if (Buffer.isBuffer(view)) return Buffer.from(view);
    if (view instanceof DataView) {
      return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    }
    return (view as Uint8Array).slice();
  }
}

const code = (text: string) => `\`${text}\``;

const fix = (node: string) =>
  `Return plain data from ${code(node)}, or set its \`serializer\` option to one that can store this value.`;

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

function serializerFailed(node: string, serializer: Serializer, cause: unknown): SerializationError {
  return new SerializationError(
    node,
    'result',
    `Cannot store the result of ${code(node)}: serializer ${code(serializer.name)} failed: ${errorMessage(cause)}. ${fix(node)}`,
    { cause },
  );
}
