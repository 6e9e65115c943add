/**
 * What the input hasher knows about an object's class, from its prototype: the code identity of the
 * class, the `#private` field that makes it unreadable, and the prototypes whose own data it hashes.
 */
import { classIdentity } from '../code/class-identity.ts';
import type { BuiltinKind } from './kind.ts';
import { privateFieldOf } from './private-fields.ts';

/** An object's class as the input hasher sees it. */
export interface ClassInfo {
  /** classIdentity() of the constructor, or '' for built-ins and class-less prototypes. */
  readonly identity: string;
  /** A `#private` instance field the class (or a class it extends) declares, e.g. `#radius`. */
  readonly privateField: string | undefined;
  /** The prototypes between the object and the first built-in prototype (none for built-ins and plain objects). */
  readonly prototypes: readonly object[];
}

const BUILTIN: ClassInfo = { identity: '', privateField: undefined, prototypes: [] };
const infos = new WeakMap<object, ClassInfo>();
const functionToString = Function.prototype.toString;

/** The ClassInfo of objects whose prototype is `proto`; computed once per prototype. */
export function classInfo(proto: object | null): ClassInfo {
  if (proto === null) return BUILTIN;
  let info = infos.get(proto);
  if (info === undefined) {
    info = analyze(proto);
    infos.set(proto, info);
  }
  return info;
}

/** The own data properties of a prototype (not methods, accessors or `constructor`): string keys sorted, then symbols. */
export function prototypeData(proto: object): { keys: string[]; symbols: symbol[] } {
  const keys: string[] = [];
  const symbols: symbol[] = [];
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor') continue;
    const descriptor = Reflect.getOwnPropertyDescriptor(proto, key)!;
    if (!('value' in descriptor) || typeof descriptor.value === 'function') continue;
    if (typeof key === 'string') keys.push(key);
    else symbols.push(key);
  }
  return { keys: keys.sort(), symbols };
}

function analyze(proto: object): ClassInfo {
  const prototypes: object[] = [];
  for (let p: object | null = proto; p !== null && !isBuiltinPrototype(p); p = Object.getPrototypeOf(p)) {
    prototypes.push(p);
  }
  if (prototypes.length === 0) return BUILTIN;
  const ctor = (proto as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || isNative(ctor))
    return { identity: '', privateField: undefined, prototypes };
  return { identity: classIdentity(ctor), privateField: privateFieldOf(ctor), prototypes };
}

function isBuiltinPrototype(proto: object): boolean {
  const ctor = Object.hasOwn(proto, 'constructor')
    ? (proto as { constructor: unknown }).constructor
    : undefined;
  return typeof ctor === 'function' && ctor.prototype === proto && isNative(ctor);
}

function isNative(fn: Function): boolean {
  return functionToString.call(fn).endsWith('{ [native code] }');
}

/** The ClassInfo of a built-in's subclass, or undefined for the built-in itself. */
export function subclassInfo(
  proto: object | null,
  kind: BuiltinKind,
  renamed: boolean,
): ClassInfo | undefined {
  // Buffer.prototype is a JavaScript class of Node's own: for binary data only a renamed constructor counts.
  if (kind === 'binary') return renamed ? classInfo(proto) : undefined;
  const info = classInfo(proto);
  return renamed || info.prototypes.length > 0 ? info : undefined;
}
