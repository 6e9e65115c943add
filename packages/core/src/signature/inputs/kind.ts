/**
 * What kind of value an object is to the input hasher: how hash-inputs.ts's encoder writes it, or
 * why its diagnostic walker refuses it. Shared by both, so they never disagree.
 */

import { types } from 'node:util';

export const ObjectProto = Object.prototype;

/** Classes implement `[HASH_PROTOCOL](): unknown`; its return value is hashed in place of the instance. */
export const HASH_PROTOCOL: unique symbol = Symbol.for('memoflow.hash') as any;
export const ArrayProto = Array.prototype;
export const toTag = Object.prototype.toString;
const NodeBuffer: { isBuffer(value: unknown): boolean } | undefined = (globalThis as any).Buffer;

export type BuiltinKind = 'map' | 'set' | 'date' | 'regexp' | 'boxed' | 'array' | 'binary';
export type Kind =
  | BuiltinKind
  | 'protocol'
  | 'error'
  | 'url'
  | 'class'
  | 'symbol'
  | 'promise'
  | 'thenable'
  | 'stream'
  | 'proxy'
  | 'opaque';

const KIND_BY_TAG = new Map<string, Kind>([
  ['[object Array]', 'array'],
  ['[object Map]', 'map'],
  ['[object Set]', 'set'],
  ['[object Date]', 'date'],
  ['[object RegExp]', 'regexp'],
  ['[object Error]', 'error'],
  ['[object Number]', 'boxed'],
  ['[object String]', 'boxed'],
  ['[object Boolean]', 'boxed'],
  ['[object BigInt]', 'boxed'],
  ['[object Symbol]', 'symbol'],
  ['[object ArrayBuffer]', 'binary'],
  ['[object SharedArrayBuffer]', 'binary'],
  ['[object URL]', 'url'],
  ['[object URLSearchParams]', 'url'],
  ['[object Promise]', 'promise'],
  ['[object ReadableStream]', 'stream'],
  ['[object WritableStream]', 'stream'],
  ['[object TransformStream]', 'stream'],
  ...[
    'WeakMap',
    'WeakSet',
    'WeakRef',
    'FinalizationRegistry',
    'Generator',
    'AsyncGenerator',
    'Map Iterator',
    'Set Iterator',
    'Array Iterator',
    'String Iterator',
    'RegExp String Iterator',
    'Iterator Helper',
    'Blob',
    'File',
    'Headers',
    'Request',
    'Response',
    'FormData',
    'AbortSignal',
    'AbortController',
    'MessagePort',
  ].map((name): [string, Kind] => [`[object ${name}]`, 'opaque']),
]);

/** The kind of an object that is not a plain object or plain array. */
// By brand tag rather than instanceof, so that objects from another realm (vm, worker) are recognised.
// A proxy is told apart first, so that no trap runs: a proxy of a built-in fails its brand checks
// (Map.prototype.entries throws a TypeError), and its traps may answer anything.
export function kindOf(value: object): Kind {
  if (types.isProxy(value)) return 'proxy';
  if (typeof (value as any)[HASH_PROTOCOL] === 'function') return 'protocol';
  if (ArrayBuffer.isView(value)) return 'binary';
  const kind = KIND_BY_TAG.get(toTag.call(value));
  if (kind !== undefined) return kind;
  if (typeof (value as any).then === 'function') return 'thenable';
  if (typeof (value as any).pipe === 'function') return 'stream';
  if (value instanceof Error) return 'error';
  return 'class';
}

/** The name a built-in's encoding carries: `Map`, `Number`, `Buffer`, `Float64Array`, … */
export function builtinName(value: object, kind: BuiltinKind): string {
  if (kind === 'binary') {
    if (NodeBuffer?.isBuffer(value)) return 'Buffer';
    return toTag.call(value).slice(8, -1);
  }
  if (kind === 'boxed') return toTag.call(value).slice(8, -1);
  return BUILTIN_NAMES[kind];
}

/** The primitive inside a boxed value, by its builtinName. */
// The prototype methods read the internal slot, so an overridden valueOf() cannot change the hash.
export const UNBOX: Record<string, (this: unknown) => unknown> = {
  Number: Number.prototype.valueOf,
  String: String.prototype.valueOf,
  Boolean: Boolean.prototype.valueOf,
  BigInt: BigInt.prototype.valueOf,
};

const BUILTIN_NAMES = { map: 'Map', set: 'Set', date: 'Date', regexp: 'RegExp', array: 'Array' } as const;

/** The name of the class whose prototype is `proto`, or `fallback` if it has none. */
export function constructorName(proto: object | null, fallback: string): string {
  const ctor = proto === null ? undefined : (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : undefined;
  return typeof name === 'string' && name !== '' ? name : fallback;
}
