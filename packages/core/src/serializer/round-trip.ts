/**
 * Finds the first part of a value that node:v8 would not read back the same: the check behind
 * `assertRoundTrips`. What v8 keeps and drops was measured on Node 20; see serializer.test.ts.
 * The prototypes it treats specially are listed in v8-prototypes.ts.
 */
import { types } from 'node:util';
import { quote } from '../errors.ts';
import { indicesFrom } from './pack.ts';
import {
  ERROR_OWN_KEYS,
  isForeignObjectPrototype,
  STANDARD_ERRORS,
  SUBCLASSABLE,
  UNSERIALIZABLE,
  VIEW_PROTOTYPES,
} from './v8-prototypes.ts';

/** Where a value would not round-trip, and why. */
export interface RoundTripFailure {
  /** Path from the root, e.g. `.model.layers[2]` (empty for the root itself). */
  path: string;
  /** Completes "`<path>` …", e.g. "is a function (`fit`)". */
  reason: string;
}

/** The first part of `value` v8 would not read back the same, or undefined. May throw if a getter throws. */
export function findRoundTripFailure(value: unknown): RoundTripFailure | undefined {
  const failure = visit(value, 0, { ancestors: [], visits: 0, seen: undefined });
  if (failure === undefined) return undefined;
  return { path: failure.segments.reverse().join(''), reason: failure.reason };
}

/** Deeper values are refused: V8 writes them but its reader overflows the stack at ≈2,000 levels (Node 20). */
const MAX_DEPTH = 1000;

interface Failure {
  /** Path segments from the bad value up to the root; reversed once, when the message is built. */
  segments: string[];
  reason: string;
}

const fail = (reason: string): Failure => ({ segments: [], reason });

function visit(value: unknown, depth: number, walk: Walk): Failure | undefined {
  if (typeof value === 'function') return fail(`is a function (${code(value.name || 'anonymous')})`);
  if (typeof value === 'symbol') return fail(`is a symbol (${value.toString()})`);
  if (typeof value !== 'object' || value === null) return undefined;
  if (isRevisit(value, depth, walk)) return undefined;
  if (depth > MAX_DEPTH) {
    return fail(`is nested more than ${MAX_DEPTH} levels deep, which V8 writes but cannot read back`);
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (Array.isArray(value)) return visitArray(value, proto, depth, walk);
  if (proto === Object.prototype || proto === null) return visitPlainObject(value, depth, walk);
  if (VIEW_PROTOTYPES.has(proto)) return undefined;
  if (proto === Map.prototype)
    return noOwnKeys(value, 'Map') ?? visitMap(value as Map<unknown, unknown>, depth, walk);
  if (proto === Set.prototype) return noOwnKeys(value, 'Set') ?? visitSet(value as Set<unknown>, depth, walk);
  if (proto === Date.prototype) return noOwnKeys(value, 'Date');
  if (proto === ArrayBuffer.prototype) return noOwnKeys(value, 'ArrayBuffer');
  if (proto === Number.prototype) return noOwnKeys(value, 'Number object');
  if (proto === Boolean.prototype) return noOwnKeys(value, 'Boolean object');
  if (proto === BigInt.prototype) return noOwnKeys(value, 'BigInt object');
  if (proto === String.prototype) return visitBoxedString(value as String);
  if (proto === RegExp.prototype) return visitRegExp(value as RegExp);
  if (STANDARD_ERRORS.has(proto) && types.isNativeError(value)) return visitError(value, proto, depth, walk);
  if (isForeignObjectPrototype(proto)) return visitPlainObject(value, depth, walk);
  return describeUnsupported(value, proto);
}

function visitPlainObject(value: object, depth: number, walk: Walk): Failure | undefined {
  if (types.isProxy(value)) return fail('is a Proxy, which cannot be serialized');
  const keys = Object.keys(value);
  const names = Object.getOwnPropertyNames(value);
  if (names.length !== keys.length) {
    const hidden = names.find((name) => !Object.prototype.propertyIsEnumerable.call(value, name));
    return fail(`has a non-enumerable property ${code(String(hidden))}, which would be dropped`);
  }
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0) {
    return fail(`has a symbol-keyed property (${symbols[0]!.toString()}), which would be dropped`);
  }
  const record = value as Record<string, unknown>;
  for (const key of keys) {
    const failure = visitChild(record[key], depth, walk);
    if (failure !== undefined) return within(failure, propertySegment(key));
  }
  return undefined;
}

function visitArray(value: unknown[], proto: object | null, depth: number, walk: Walk): Failure | undefined {
  // Array.prototype of any realm is itself an array; a subclass's prototype is not.
  if (proto !== null && proto !== Array.prototype && !Array.isArray(proto))
    return describeUnsupported(value, proto);
  if (types.isProxy(value)) return fail('is a Proxy, which cannot be serialized');
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0) {
    return fail(`has a symbol-keyed property (${symbols[0]!.toString()}), which would be dropped`);
  }
  // Holes survive as holes; named properties on arrays survive too, unchecked.
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    // At the first hole, only the elements present: a sparse array's length may be 10⁹.
    if (item === undefined && !(i in value)) return visitElements(value, indicesFrom(value, i), depth, walk);
    const failure = visitChild(item, depth, walk);
    if (failure !== undefined) return within(failure, `[${i}]`);
  }
  return undefined;
}

function visitElements(
  value: readonly unknown[],
  indices: readonly number[],
  depth: number,
  walk: Walk,
): Failure | undefined {
  for (const index of indices) {
    const failure = visitChild(value[index], depth, walk);
    if (failure !== undefined) return within(failure, `[${index}]`);
  }
  return undefined;
}

function visitMap(value: Map<unknown, unknown>, depth: number, walk: Walk): Failure | undefined {
  let index = 0;
  for (const [key, entry] of value) {
    let failure = visitChild(key, depth, walk);
    if (failure !== undefined) return within(failure, `.keys()[${index}]`);
    failure = visitChild(entry, depth, walk);
    if (failure !== undefined) {
      const isPrimitive = key === null || (typeof key !== 'object' && typeof key !== 'function');
      return within(failure, isPrimitive ? `.get(${quote(key)})` : `.values()[${index}]`);
    }
    index++;
  }
  return undefined;
}

function visitSet(value: Set<unknown>, depth: number, walk: Walk): Failure | undefined {
  let index = 0;
  for (const member of value) {
    const failure = visitChild(member, depth, walk);
    if (failure !== undefined) return within(failure, `.values()[${index}]`);
    index++;
  }
  return undefined;
}

function visitError(value: Error, proto: object, depth: number, walk: Walk): Failure | undefined {
  const expectedName = (proto as Error).name;
  if (value.name !== expectedName) {
    return fail(`is an Error named ${quote(value.name)}, which would read back named ${quote(expectedName)}`);
  }
  for (const key of Reflect.ownKeys(value)) {
    if (!ERROR_OWN_KEYS.has(key)) {
      return fail(`is an Error with own property ${code(String(key))}, which would be dropped`);
    }
  }
  if (!Object.hasOwn(value, 'cause')) return undefined;
  const failure = visitChild(value.cause, depth, walk);
  return failure === undefined ? undefined : within(failure, '.cause');
}

function visitBoxedString(value: String): Failure | undefined {
  // Own keys of a String object: one per character, plus `length`.
  if (Reflect.ownKeys(value).length === value.length + 1) return undefined;
  return fail('is a String object with own properties, which would be dropped');
}

function visitRegExp(value: RegExp): Failure | undefined {
  if (value.lastIndex !== 0)
    return fail(`is a RegExp with lastIndex ${value.lastIndex}, which would read back as 0`);
  if (Reflect.ownKeys(value).length === 1) return undefined;
  return fail('is a RegExp with own properties, which would be dropped');
}

/**
 * Cycles are caught by comparing with the ancestors (a few, typically), which costs far less than
 * a Set of every object: the Set took longer than v8.serialize itself on 100k records. Only a
 * value with very many objects pays for the Set, which stops shared subtrees being walked again.
 */
interface Walk {
  ancestors: object[];
  visits: number;
  seen: Set<object> | undefined;
}

const SEEN_SET_AFTER = 1 << 20;

function isRevisit(value: object, depth: number, walk: Walk): boolean {
  const { ancestors } = walk;
  for (let i = 0; i < depth; i++) if (ancestors[i] === value) return true;
  ancestors[depth] = value;
  if (walk.seen === undefined) {
    if (++walk.visits < SEEN_SET_AFTER) return false;
    walk.seen = new Set();
  }
  if (walk.seen.has(value)) return true;
  walk.seen.add(value);
  return false;
}

function visitChild(value: unknown, depth: number, walk: Walk): Failure | undefined {
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') return undefined;
  if (value === null) return undefined;
  return visit(value, depth + 1, walk);
}

function noOwnKeys(value: object, kind: string): Failure | undefined {
  const keys = Reflect.ownKeys(value);
  if (keys.length === 0) return undefined;
  return fail(`is a ${kind} with own property ${code(String(keys[0]))}, which would be dropped`);
}

function describeUnsupported(value: object, proto: object): Failure {
  for (const [prototype, reason] of UNSERIALIZABLE) if (proto === prototype) return fail(reason);
  const name = className(proto);
  if (STANDARD_ERRORS.has(proto)) {
    return fail(`inherits from ${code(name)} without being one; it would read back as a plain object`);
  }
  if (types.isNativeError(value) || value instanceof Error) {
    return fail(
      `is an instance of ${code(name)}, a custom Error class; it would read back as a plain Error, without its class and own properties`,
    );
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return fail(
      `is an instance of ${code(name)}, a subclass of a typed array; it would read back as the base class`,
    );
  }
  for (const builtin of SUBCLASSABLE) {
    if (value instanceof builtin) {
      return fail(
        `is an instance of ${code(name)}, a subclass of ${builtin.name}; it would read back as a plain ${builtin.name}`,
      );
    }
  }
  return fail(
    `is an instance of class ${code(name)}; it would read back as a plain object, without its prototype and methods`,
  );
}

function className(proto: object): string {
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'anonymous class';
}

function within(failure: Failure, segment: string): Failure {
  failure.segments.push(segment);
  return failure;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const propertySegment = (key: string) => (IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

const code = (text: string) => `\`${text}\``;
