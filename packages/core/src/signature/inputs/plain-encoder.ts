/**
 * The input encoder's walk over values and plain structure: primitives, plain objects, arrays and
 * groups of own keys, with the depth limit and the cycle check. Every other object (a class
 * instance, an error, a built-in) goes to `other()`, which Encoder (encoder.ts) implements.
 */
import { ArrayProto, HASH_PROTOCOL, ObjectProto } from './kind.ts';
import { EncodingOutput, FLUSH_AT } from './output.ts';
import { hiddenKeys, type OwnKeys, ownKeys, sortSymbols, symbolToken } from './own-keys.ts';

export const MAX_DEPTH = 1000;
// Ancestors are compared only this deep on the fast path; a deeper cycle still ends at MAX_DEPTH.
const CYCLE_SCAN_DEPTH = 32;

// The fast path keeps no path: it throws this, and the caller re-walks the value in diagnostic mode.
export const UNHASHABLE = Symbol('unhashable');

const { getOwnPropertyNames, getOwnPropertySymbols } = Object;

/** Writes primitives, plain objects, arrays and key groups; what else an object is, `other()` says. */
export abstract class PlainEncoder extends EncodingOutput {
  depth = 0;
  readonly ancestors: (object | undefined)[] = [];
  readonly shapeKeys: (readonly string[] | undefined)[] = [];
  readonly shapeSorted: (readonly string[])[] = [];

  /** Writes an object that is neither a plain object nor a plain array. */
  protected abstract other(value: object, proto: object | null): void;

  protected value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.out += value === 0 && 1 / value < 0 ? 'd-0;' : 'd' + value + ';';
        return;
      case 'object':
        if (value === null) this.out += 'N';
        else this.object(value);
        return;
      case 'boolean':
        this.out += value ? 'T' : 'F';
        return;
      case 'undefined':
        this.out += 'U';
        return;
      case 'bigint':
        this.out += 'n' + value + ';';
        return;
      default:
        throw UNHASHABLE;
    }
  }

  private object(value: object): void {
    const depth = ++this.depth;
    if (depth > MAX_DEPTH) throw UNHASHABLE;
    if (depth <= CYCLE_SCAN_DEPTH) {
      const ancestors = this.ancestors;
      for (let i = 0; i < depth - 1; i++) if (ancestors[i] === value) throw UNHASHABLE;
      ancestors[depth - 1] = value;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === ArrayProto) this.array(value as unknown[]);
    else if (
      (proto === ObjectProto || proto === null) &&
      typeof (value as any)[HASH_PROTOCOL] !== 'function'
    ) {
      const keys = Object.keys(value);
      // Non-enumerable and symbol keys are rare on plain objects; these two counts are what looking
      // for them costs (cheaper than one Reflect.ownKeys, which V8 does not fast-path).
      if (getOwnPropertyNames(value).length === keys.length && getOwnPropertySymbols(value).length === 0)
        this.fields(value, keys);
      else
        this.own(value, {
          keys,
          hidden: hiddenKeys(value, keys.length),
          symbols: sortSymbols(Object.getOwnPropertySymbols(value)),
        });
    } else this.other(value, proto);
    this.depth = depth - 1;
  }

  protected array(array: readonly unknown[], plain = true): void {
    this.out += '[';
    let holes = 0;
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (item === undefined && !(i in array)) {
        this.out += '_';
        holes++;
      } else this.value(item);
      if (this.out.length > FLUSH_AT) this.flush();
    }
    this.out += ']';
    // A named property (`rows.total = 3`) or a symbol is an own key beyond the elements and
    // `length`: one count of the own keys says whether there is one.
    if (
      plain &&
      (Object.keys(array).length !== array.length - holes || getOwnPropertySymbols(array).length > 0)
    ) {
      this.out += 'x';
      this.own(array, ownKeys(array, 'array'));
    }
  }

  private fields(object: object, keys: readonly string[]): void {
    const sorted = this.sortKeys(keys);
    this.out += '{';
    for (let i = 0; i < sorted.length; i++) {
      const key = sorted[i]!;
      this.key(key);
      this.value((object as Record<string, unknown>)[key]);
    }
    this.out += '}';
  }

  private sortKeys(keys: readonly string[]): readonly string[] {
    const n = keys.length;
    if (n < 2) return keys;
    // Objects at one depth usually share a shape: remember the last key order seen there and its sort.
    const depth = this.depth;
    const seen = this.shapeKeys[depth];
    if (seen !== undefined && seen.length === n) {
      let i = 0;
      while (i < n && seen[i] === keys[i]) i++;
      if (i === n) return this.shapeSorted[depth]!;
    }
    let i = 1;
    while (i < n && keys[i - 1]! < keys[i]!) i++;
    const sorted = i === n ? keys : keys.slice().sort();
    this.shapeKeys[depth] = keys;
    this.shapeSorted[depth] = sorted;
    return sorted;
  }

  protected own(object: object, { keys, hidden, symbols }: OwnKeys): void {
    if (symbols === undefined) throw UNHASHABLE;
    if (hidden.length === 0 && symbols.length === 0) this.fields(object, keys);
    else this.group(object, this.sortKeys(keys), hidden, symbols);
  }

  /** `{<key><value>...~<key><value>...y<symbol key><value>...}`: enumerable, then non-enumerable, then symbol keys. */
  protected group(
    object: object,
    sorted: readonly string[],
    hidden: readonly string[],
    symbols: readonly symbol[],
  ): void {
    const record = object as Record<string | symbol, unknown>;
    this.out += '{';
    for (let i = 0; i < sorted.length; i++) {
      this.key(sorted[i]!);
      this.value(record[sorted[i]!]);
    }
    for (let i = 0; i < hidden.length; i++) {
      this.out += '~';
      this.key(hidden[i]!);
      this.value(record[hidden[i]!]);
    }
    for (let i = 0; i < symbols.length; i++) {
      const token = symbolToken(symbols[i]!);
      this.out += 'y' + token[0];
      if (token.length > 1 || token[0] !== 'u') this.key(token.slice(1));
      this.value(record[symbols[i]!]);
    }
    this.out += '}';
  }
}
