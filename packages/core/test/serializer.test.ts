import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import { SerializationError } from '../src/errors.ts';
import {
  assertRoundTrips,
  decodeEntry,
  encodeEntry,
  MISS,
  type Serializer,
  v8Serializer,
} from '../src/serializer/serializer.ts';

const roundTrip = (value: unknown) => decodeEntry(encodeEntry(value, v8Serializer, 'node'), v8Serializer);

/** ES2024's resizable ArrayBuffer, which the ES2023 lib does not declare. */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ArrayBuffer;

class Model {
  layers = [1, 2];
  predict() {
    return 0;
  }
}
class ValidationError extends Error {}
class Dataset extends Map<string, number> {}
class Matrix extends Float64Array {}

function thrown(value: unknown): SerializationError {
  try {
    assertRoundTrips(value, 'train');
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('assertRoundTrips accepted the value');
}

describe('what v8 round-trips, and assertRoundTrips accepts', () => {
  const sparse: number[] = [1];
  sparse[2] = 3;
  sparse[10] = 11;
  const withArrayProp = Object.assign([1, 2], { label: 'kept' });
  const cyclic: Record<string, unknown> = { name: 'self' };
  cyclic.self = cyclic;
  const shared = new Uint8Array([9]);
  const errorWithCause = new Error('outer', { cause: new TypeError('inner') });

  test.each<[string, unknown, (actual: any) => void]>([
    [
      'primitives, -0, NaN, bigint',
      [1, 'a', true, null, undefined, -0, Number.NaN, 10n],
      (a) => expect(a).toEqual([1, 'a', true, null, undefined, -0, Number.NaN, 10n]),
    ],
    ['{ a: undefined } keeps the key', { a: undefined }, (a) => expect(Object.keys(a)).toEqual(['a'])],
    [
      'Buffer reads back as a Buffer',
      Buffer.from('hi'),
      (a) => expect(Buffer.isBuffer(a) && a.toString()).toBe('hi'),
    ],
    [
      'Uint8Array stays a Uint8Array (not a Buffer)',
      new Uint8Array([1, 2]),
      (a) => expect(a.constructor).toBe(Uint8Array),
    ],
    [
      'Float64Array, BigInt64Array, DataView',
      [new Float64Array([1.5]), new BigInt64Array([2n]), new DataView(new ArrayBuffer(2))],
      (a) => expect(a.map((x: object) => x.constructor)).toEqual([Float64Array, BigInt64Array, DataView]),
    ],
    [
      'a subarray reads back as just the view',
      new Uint8Array([1, 2, 3, 4]).subarray(1, 3),
      (a) => expect([...a]).toEqual([2, 3]),
    ],
    [
      'ArrayBuffer, resizable too',
      new ResizableArrayBuffer(4, { maxByteLength: 8 }),
      (a) => expect([a.byteLength, a.resizable, a.maxByteLength]).toEqual([4, true, 8]),
    ],
    [
      'Map with object keys, Set',
      new Map<unknown, unknown>([[{ k: 1 }, new Set([1, 2])]]),
      (a) => expect([...a.values()][0]).toEqual(new Set([1, 2])),
    ],
    [
      'Date, invalid Date',
      [new Date(5), new Date(Number.NaN)],
      (a) => expect([a[0].getTime(), a[1].getTime()]).toEqual([5, Number.NaN]),
    ],
    ['RegExp with flags', /ab+c/gi, (a) => expect(a).toEqual(/ab+c/gi)],
    [
      'boxed Number, String, Boolean, BigInt',
      [new Number(3), new String('s'), new Boolean(false), Object(1n)],
      (a) => expect(a.map((x: object) => x.valueOf())).toEqual([3, 's', false, 1n]),
    ],
    [
      'sparse arrays keep their holes',
      sparse,
      (a) => expect([a.length, 1 in a, a[10]]).toEqual([11, false, 11]),
    ],
    ['named properties on arrays survive', withArrayProp, (a) => expect(a.label).toBe('kept')],
    ['cycles', cyclic, (a) => expect(a.self).toBe(a)],
    ['shared references stay shared', { a: shared, b: shared }, (a) => expect(a.a).toBe(a.b)],
    [
      'Error and its cause, built-in subclasses keep their class',
      errorWithCause,
      (a) =>
        expect([a.constructor, a.message, a.cause.constructor, a.cause.message]).toEqual([
          Error,
          'outer',
          TypeError,
          'inner',
        ]),
    ],
    [
      'RangeError keeps message and stack',
      new RangeError('r'),
      (a) => expect([a.name, a.message, typeof a.stack]).toEqual(['RangeError', 'r', 'string']),
    ],
    [
      'null-prototype object reads back as a plain object with the same data',
      Object.assign(Object.create(null), { a: 1 }),
      (a) => expect(a).toEqual({ a: 1 }),
    ],
    [
      'object from another realm (node:vm) reads back as a plain object',
      vm.runInNewContext('({ a: [1, 2] })'),
      (a) => expect(a).toEqual({ a: [1, 2] }),
    ],
    [
      'getters are read once: the value is stored',
      {
        get answer() {
          return 42;
        },
      },
      (a) => expect(a).toEqual({ answer: 42 }),
    ],
  ])('%s', (_, value, check) => {
    expect(() => assertRoundTrips(value, 'train')).not.toThrow();
    const actual = roundTrip(value);
    expect(actual).not.toBe(MISS);
    check(actual);
  });
});

describe('what v8 would not read back the same: assertRoundTrips throws, naming the path', () => {
  const errorWithCode = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  const renamedError = new Error('x');
  renamedError.name = 'NotFound';
  const regexInUse = /a/g;
  regexInUse.exec('aaa');

  test.each<[string, unknown, string, RegExp]>([
    ['class instance (prototype lost)', { model: new Model() }, 'result.model', /instance of class `Model`/],
    [
      'nested path through arrays and Maps',
      { model: { layers: [0, 0, new Map([['w', new Model()]])] } },
      'result.model.layers[2].get("w")',
      /class `Model`/,
    ],
    ['function', { fit: () => 1 }, 'result.fit', /is a function/],
    ['symbol', [Symbol('s')], 'result[0]', /is a symbol/],
    ['custom Error subclass', new ValidationError('bad'), 'result', /custom Error class/],
    [
      'Error with extra own properties (code)',
      { error: errorWithCode },
      'result.error',
      /own property `code`/,
    ],
    ['Error renamed', renamedError, 'result', /named "NotFound"/],
    ['AggregateError (errors dropped)', new AggregateError([], 'agg'), 'result', /AggregateError/],
    ['symbol-keyed property', { [Symbol('tag')]: 1 }, 'result', /symbol-keyed property/],
    [
      'non-enumerable property',
      Object.defineProperty({}, 'hidden', { value: 1 }),
      'result',
      /non-enumerable property `hidden`/,
    ],
    ['a namespace object like Math', { m: Math }, 'result.m', /non-enumerable/],
    [
      'own property on a Map',
      Object.assign(new Map(), { extra: 1 }),
      'result',
      /Map with own property `extra`/,
    ],
    [
      'own property on a Date',
      Object.assign(new Date(0), { tz: 'UTC' }),
      'result',
      /Date with own property `tz`/,
    ],
    ['RegExp mid-iteration (lastIndex reset)', regexInUse, 'result', /lastIndex 1/],
    ['Map subclass', new Dataset(), 'result', /subclass of Map/],
    ['typed array subclass', new Matrix(2), 'result', /subclass of a typed array/],
    ['Promise', { pending: Promise.resolve(1) }, 'result.pending', /Promise; await it/],
    ['WeakMap', new WeakMap(), 'result', /WeakMap/],
    ['WeakRef', new WeakRef({}), 'result', /WeakRef/],
    ['SharedArrayBuffer', new SharedArrayBuffer(4), 'result', /SharedArrayBuffer/],
    ['Proxy', { p: new Proxy({}, {}) }, 'result.p', /Proxy/],
    ['boxed Symbol', Object(Symbol('s')), 'result', /boxed symbol/],
    ['URL (host object: reads back as {})', new URL('https://example.com'), 'result', /class `URL`/],
    ['keys that are not identifiers are quoted', { 'my key': [() => 0] }, 'result["my key"][0]', /function/],
    ['Set members by position', new Set([1, () => 0]), 'result.values()[1]', /function/],
    ['Error cause', new Error('x', { cause: new Model() }), 'result.cause', /class `Model`/],
  ])('%s', (_, value, path, reason) => {
    const error = thrown(value);
    expect(error.code).toBe('SERIALIZATION');
    expect(error.node).toBe('train');
    expect(error.path).toBe(path);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(`\`${path}\``);
    expect(error.message).toContain('`serializer` option');
  });

  test('nesting deeper than V8 can read back (it writes ≈3,000 levels but overflows reading ≈2,000)', () => {
    let deep: object = {};
    for (let i = 0; i < 2_500; i++) deep = { child: deep };
    let readsBack = true;
    try {
      v8.deserialize(v8.serialize(deep));
    } catch {
      readsBack = false;
    }
    expect(readsBack).toBe(false);
    expect(thrown(deep).message).toMatch(/nested more than 1000 levels/);
  });

  test('a DAG with many shared references is checked in linear time', () => {
    let level: object[] = [{ leaf: 1 }, { leaf: 2 }];
    for (let i = 0; i < 40; i++)
      level = [
        { a: level[0], b: level[1] },
        { a: level[1], b: level[0] },
      ];
    const started = performance.now();
    assertRoundTrips(level, 'dag');
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('encodeEntry / decodeEntry', () => {
  test('a value read back writes the same bytes as when fresh: arrays come back packed, shared ones still shared', () => {
    const shared = [1, 2, 3];
    const value = {
      numbers: Array.from({ length: 100 }, (_, i) => i),
      filtered: [5, 6, 7, 8].filter((n) => n > 5),
      doubles: [1.5, 2, 3],
      nested: [[1], [2, [3, 'x']]],
      map: new Map([['a', [1, 2]]]),
      set: new Set([[3, 4]]),
      shared,
      again: shared,
      // Real holes stay sparse.
      holes: Object.assign(new Array(3), { 0: 1, 2: 3 }) as number[],
    };
    const fresh = encodeEntry(value, v8Serializer, 'n');
    const decoded = decodeEntry(fresh, v8Serializer) as typeof value;
    expect(Buffer.from(encodeEntry(decoded, v8Serializer, 'n'))).toEqual(Buffer.from(fresh));
    // A value computed from one read back (what a node downstream of a hit does) too.
    const derived = (numbers: number[]) =>
      encodeEntry(
        numbers.filter((n) => n % 2 === 0),
        v8Serializer,
        'n',
      );
    expect(Buffer.from(derived(decoded.numbers))).toEqual(Buffer.from(derived(value.numbers)));
    expect(decoded.again).toBe(decoded.shared);
    expect(1 in decoded.holes).toBe(false);
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    const back = decodeEntry(encodeEntry(cyclic, v8Serializer, 'n'), v8Serializer) as unknown[];
    expect(back[1]).toBe(back);
  });

  test('the envelope names the serializer: magic, name length, name, zero padding to 8 bytes, payload', () => {
    const bytes = encodeEntry({ a: 1 }, v8Serializer, 'n');
    const name = Buffer.from(v8Serializer.name);
    const padded = Math.ceil((5 + name.length) / 8) * 8;
    expect([...bytes.subarray(0, 4)]).toEqual([0x4d, 0x46, 0x45, 0x02]);
    expect(bytes[4]).toBe(name.length);
    expect(Buffer.from(bytes.subarray(5, 5 + name.length)).equals(name)).toBe(true);
    expect([...bytes.subarray(5 + name.length, padded)].every((byte) => byte === 0)).toBe(true);
    expect(v8.deserialize(bytes.subarray(padded))).toEqual({ a: 1 });
  });

  test('a large typed array (2 to 256 MiB) read from an 8-aligned buffer decodes as a view, not a copy', () => {
    const entry = encodeEntry(new Float64Array(1 << 19).fill(1.5), v8Serializer, 'n');
    const file = Buffer.alloc(24 + entry.length);
    file.set(entry, 24);
    const decoded = decodeEntry(file.subarray(24), v8Serializer) as Float64Array;
    expect(decoded.buffer).toBe(file.buffer);
    expect(decoded[100]).toBe(1.5);
  });

  test('v8Serializer is named after the Node major version that pins its format', () => {
    expect(v8Serializer.name).toBe(`v8@node${process.versions.node.split('.')[0]}`);
  });

  test('an entry written by another serializer or format version is a miss', () => {
    const otherVersion: Serializer = { ...v8Serializer, name: 'v8@node18' };
    const json: Serializer = {
      name: 'json@1',
      serialize: (v) => Buffer.from(JSON.stringify(v)),
      deserialize: (b) => JSON.parse(Buffer.from(b).toString()),
    };
    expect(decodeEntry(encodeEntry({ a: 1 }, otherVersion, 'n'), v8Serializer)).toBe(MISS);
    expect(decodeEntry(encodeEntry({ a: 1 }, json, 'n'), v8Serializer)).toBe(MISS);
    expect(decodeEntry(encodeEntry({ a: 1 }, json, 'n'), json)).toEqual({ a: 1 });
  });

  test('bytes that are not an entry, truncated or corrupt, are a miss and never a throw', () => {
    const bytes = encodeEntry(
      { rows: Array.from({ length: 50 }, (_, i) => ({ i, s: `row ${i}` })) },
      v8Serializer,
      'n',
    );
    expect(decodeEntry(new Uint8Array(0), v8Serializer)).toBe(MISS);
    expect(decodeEntry(v8.serialize({ a: 1 }), v8Serializer)).toBe(MISS);
    expect(decodeEntry(bytes.subarray(0, 20), v8Serializer)).toBe(MISS);
    expect(decodeEntry(bytes.subarray(0, bytes.length - 7), v8Serializer)).toBe(MISS);
    for (let seed = 0; seed < 500; seed++) {
      const damaged = Uint8Array.from(bytes);
      damaged[14 + ((seed * 7919) % (damaged.length - 14))] = (seed * 31) & 0xff;
      expect(() => decodeEntry(damaged, v8Serializer)).not.toThrow();
    }
  });

  test('a custom serializer that throws while reading gives a miss', () => {
    const broken: Serializer = {
      name: 'broken@1',
      serialize: () => new Uint8Array([1]),
      deserialize: () => {
        throw new Error('nope');
      },
    };
    expect(decodeEntry(encodeEntry(1, broken, 'n'), broken)).toBe(MISS);
  });

  test('with a custom serializer, assertRoundTrips is not applied: the serializer decides', () => {
    const keepsClasses: Serializer = {
      name: 'model@1',
      serialize: () => new Uint8Array([7]),
      deserialize: () => new Model(),
    };
    expect(decodeEntry(encodeEntry(new Model(), keepsClasses, 'n'), keepsClasses)).toBeInstanceOf(Model);
  });

  test("a serializer's own error is wrapped in a SerializationError with the cause", () => {
    const failing: Serializer = {
      name: 'f@1',
      serialize: () => {
        throw new RangeError('too big');
      },
      deserialize: () => 0,
    };
    const error = (() => {
      try {
        encodeEntry(1, failing, 'train');
      } catch (e) {
        return e as SerializationError;
      }
    })();
    expect(error).toBeInstanceOf(SerializationError);
    expect(error?.message).toMatch(/serializer `f@1` failed: too big/);
    expect(error?.cause).toBeInstanceOf(RangeError);
  });

  test('a v8 clone failure assertRoundTrips cannot see is wrapped too', () => {
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    expect(() => encodeEntry({ detached }, v8Serializer, 'train')).toThrow(SerializationError);
  });

  test('a serializer name must be 1 to 255 bytes', () => {
    const unnamed: Serializer = { ...v8Serializer, name: '' };
    expect(() => encodeEntry(1, unnamed, 'n')).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  test('decoded typed arrays own their memory: mutating them cannot change the stored bytes', () => {
    const bytes = encodeEntry(
      {
        data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        text: Buffer.from('abc'),
        view: new DataView(new ArrayBuffer(4)),
      },
      v8Serializer,
      'n',
    );
    const copy = Uint8Array.from(bytes);
    const first = decodeEntry(bytes, v8Serializer) as { data: Uint8Array; text: Buffer; view: DataView };
    first.data.fill(0);
    first.text.fill(0);
    first.view.setUint32(0, 0xffffffff);
    expect(Buffer.from(bytes).equals(Buffer.from(copy))).toBe(true);
    const second = decodeEntry(bytes, v8Serializer) as { data: Uint8Array; text: Buffer };
    expect([...second.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(second.text.toString()).toBe('abc');
  });

  test('decoding never runs code found in the bytes (no getters, no constructors)', () => {
    const bytes = encodeEntry(
      { __proto__: null, toString: 'not a function', constructor: 'x' },
      v8Serializer,
      'n',
    );
    const value = decodeEntry(bytes, v8Serializer) as Record<string, unknown>;
    expect(value.toString).toBe('not a function');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});
