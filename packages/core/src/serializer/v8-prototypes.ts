/**
 * The prototypes node:v8 treats specially, by what it reads back: views and standard errors as
 * themselves, subclasses of built-ins as the built-in, objects of another realm as plain objects,
 * and the ones it refuses outright. Measured on Node 20; see serializer.test.ts.
 */

/** The standard Error classes, which v8 reads back as themselves. */
export const STANDARD_ERRORS = new Set<object>([
  Error.prototype,
  EvalError.prototype,
  RangeError.prototype,
  ReferenceError.prototype,
  SyntaxError.prototype,
  TypeError.prototype,
  URIError.prototype,
]);
/** The own keys of an Error that v8 keeps: any other is dropped. */
export const ERROR_OWN_KEYS = new Set<PropertyKey>(['stack', 'message', 'cause', 'name']);

/** Buffer, DataView and the typed arrays: accepted as they are. */
export const VIEW_PROTOTYPES = new Set<object>([
  Buffer.prototype,
  DataView.prototype,
  Int8Array.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
]);

/** Built-ins whose subclasses read back as the built-in. */
export const SUBCLASSABLE = [
  Array,
  Map,
  Set,
  Date,
  RegExp,
  ArrayBuffer,
  Error,
  Uint8Array,
  Object.getPrototypeOf(Int8Array),
];

/** What v8 refuses, with the reason a failure gives. */
export const UNSERIALIZABLE = new Map<object, string>([
  [Promise.prototype, 'is a Promise; await it before returning'],
  [WeakMap.prototype, 'is a WeakMap, which cannot be serialized'],
  [WeakSet.prototype, 'is a WeakSet, which cannot be serialized'],
  [WeakRef.prototype, 'is a WeakRef, which cannot be serialized'],
  [SharedArrayBuffer.prototype, 'is a SharedArrayBuffer, which cannot be serialized'],
  [Symbol.prototype, 'is a boxed symbol, which cannot be serialized'],
]);

/** Object.prototype of another realm (node:vm): such objects read back as plain objects of this one. */
export function isForeignObjectPrototype(proto: object): boolean {
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return typeof ctor === 'function' && ctor.name === 'Object' && ctor.prototype === proto;
}
