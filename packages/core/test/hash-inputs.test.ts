import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UnhashableInputError } from '../src/errors.ts';
import { encodeInputs, HASH_PROTOCOL, hashValue } from '../src/signature/inputs/hash-inputs.ts';

const sha256 = (...parts: (string | Uint8Array)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};
const textOf = (value: unknown) => encodeInputs('f', [value], ['x']).text;

/** Asserts that every value hashes differently from every other. */
function expectAllDistinct(values: unknown[]) {
  const digests = values.map((value) => hashValue(value));
  expect(new Set(digests).size).toBe(values.length);
}

function catchError(fn: () => unknown): UnhashableInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnhashableInputError);
    return error as UnhashableInputError;
  }
  throw new Error('expected an UnhashableInputError');
}

describe('type tags', () => {
  it('tells apart values that print alike', () => {
    expectAllDistinct([
      1,
      '1',
      1n,
      new Date(1),
      [1],
      true,
      {},
      null,
      undefined,
      Object(1),
      [],
      '',
      0,
      'true',
    ]);
  });

  it('tells apart null and undefined, and a missing key from an undefined one', () => {
    expect(hashValue(null)).not.toBe(hashValue(undefined));
    expect(hashValue({ a: undefined })).not.toBe(hashValue({}));
  });

  it('tells apart -0, 0, NaN and the infinities, and treats every NaN alike', () => {
    expectAllDistinct([
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
    ]);
    const otherNaN = new Float64Array(new BigUint64Array([0x7ff8000000000123n]).buffer)[0];
    expect(Number.isNaN(otherNaN)).toBe(true);
    expect(hashValue(otherNaN)).toBe(hashValue(Number.NaN));
    expect(hashValue(0 / 0)).toBe(hashValue(Number.NaN));
  });

  it('length-prefixes strings so separators inside them cannot collide', () => {
    expectAllDistinct([['a,b'], ['a', 'b'], ['ab'], ['a', 'b', ''], { 'a:': 'b' }, { a: ':b' }, 's1:a']);
  });

  it('terminates numbers and bigints unambiguously', () => {
    expectAllDistinct([[1, 2], [12], [1n, 2n], [12n], [1.5], [1, 5]]);
  });

  it('tells apart booleans, strings and boxed primitives', () => {
    expectAllDistinct([false, 'false', Object(false), 0, Object(0), 'a', Object('a'), 1n, Object(1n)]);
    expect(hashValue(Object('a'))).toBe(hashValue(new String('a')));
  });

  it('distinguishes argument names and argument lists', () => {
    const digests = [
      encodeInputs('f', [1], ['a']),
      encodeInputs('f', [1], ['b']),
      encodeInputs('f', [1, 2], ['a', 'b']),
      encodeInputs('f', [[1, 2]], ['a']),
      encodeInputs('f', [], []),
    ].map((encoding) => encoding.digest());
    expect(new Set(digests).size).toBe(digests.length);
  });
});

describe('containers', () => {
  it('ignores plain-object key order, at every depth', () => {
    expect(hashValue({ a: 1, b: { c: 2, d: [3] } })).toBe(hashValue({ b: { d: [3], c: 2 }, a: 1 }));
  });

  it('sorts each object by its own keys when siblings share some keys but not the order', () => {
    const mixed = [
      { b: 1, a: 2 },
      { a: 3, b: 4 },
      { b: 5, a: 6 },
      { b: 7, c: 8 },
      { c: 9, b: 10 },
    ];
    const sorted = [
      { a: 2, b: 1 },
      { a: 3, b: 4 },
      { a: 6, b: 5 },
      { b: 7, c: 8 },
      { b: 10, c: 9 },
    ];
    expect(hashValue(mixed)).toBe(hashValue(sorted));
    expect(hashValue(mixed)).not.toBe(hashValue([...sorted].reverse()));
  });

  it('treats a null-prototype object like a plain one with the same content', () => {
    const bare = Object.assign(Object.create(null), { a: 1, b: 2 });
    expect(hashValue(bare)).toBe(hashValue({ b: 2, a: 1 }));
  });

  it('keeps array order and tells holes from undefined', () => {
    expect(hashValue([1, 2])).not.toBe(hashValue([2, 1]));
    const holeFirst: unknown[] = [];
    holeFirst[1] = 1;
    expectAllDistinct([holeFirst, [undefined, 1], [1], []]);
    expect(hashValue(new Array(2))).not.toBe(hashValue([undefined, undefined]));
    const twoHoles: unknown[] = [];
    twoHoles.length = 2;
    expect(hashValue(new Array(2))).toBe(hashValue(twoHoles));
  });

  it('ignores Map insertion order and accepts any hashable key', () => {
    const key = { id: 1 };
    const a = new Map<unknown, unknown>([
      ['x', 1],
      [key, [2]],
      [3n, new Date(4)],
    ]);
    const b = new Map<unknown, unknown>([
      [3n, new Date(4)],
      [{ id: 1 }, [2]],
      ['x', 1],
    ]);
    expect(hashValue(a)).toBe(hashValue(b));
    expect(hashValue(a)).not.toBe(hashValue(new Map([['x', 1]])));
    expectAllDistinct([new Map([['a', 1]]), { a: 1 }, [['a', 1]], new Map([[1, 'a']]), new Map()]);
  });

  it('ignores Set insertion order and tells Sets from arrays', () => {
    expect(hashValue(new Set([1, 'a', { b: 2 }]))).toBe(hashValue(new Set([{ b: 2 }, 'a', 1])));
    expectAllDistinct([new Set([1, 2]), [1, 2], new Set([1]), new Set([[1, 2]]), new Set()]);
  });

  it('orders Map entries and Set members holding binary data by their digest', () => {
    const a = new Set([new Uint8Array([1]), new Uint8Array([2]), 'x']);
    const b = new Set(['x', new Uint8Array([2]), new Uint8Array([1])]);
    expect(hashValue(a)).toBe(hashValue(b));
    expect(hashValue(a)).not.toBe(hashValue(new Set(['x', new Uint8Array([2]), new Uint8Array([3])])));
    const m1 = new Map<string, unknown>([
      ['a', new Float64Array([1])],
      ['b', 'y'.repeat(5000)],
    ]);
    const m2 = new Map<string, unknown>([
      ['b', 'y'.repeat(5000)],
      ['a', new Float64Array([1])],
    ]);
    expect(hashValue(m1)).toBe(hashValue(m2));
  });

  it('hashes shared (non-circular) references like copies', () => {
    const shared = { a: [1, 2] };
    expect(hashValue([shared, shared, { s: shared }])).toBe(
      hashValue([{ a: [1, 2] }, { a: [1, 2] }, { s: { a: [1, 2] } }]),
    );
  });

  it('hashes symbol-keyed properties of plain objects: objects differing only there differ', () => {
    expect(hashValue({ a: 1, [Symbol.for('s')]: 2 })).not.toBe(hashValue({ a: 1 }));
    expect(hashValue({ a: 1, [Symbol.for('s')]: 2 })).not.toBe(hashValue({ a: 1, [Symbol.for('s')]: 3 }));
    expect(hashValue({ a: 1, [Symbol.for('s')]: 2 })).toBe(hashValue({ [Symbol.for('s')]: 2, a: 1 }));
    expect(() => hashValue({ a: 1, [Symbol('s')]: () => 2 })).toThrow(
      expect.objectContaining({ code: 'UNHASHABLE_INPUT' }),
    );
  });

  it('hashes named properties of plain arrays: arrays differing only there differ', () => {
    const named = Object.assign([1, 2], { total: 3 });
    expect(hashValue(named)).not.toBe(hashValue([1, 2]));
    expect(hashValue(named)).not.toBe(hashValue(Object.assign([1, 2], { total: 4 })));
    // Holes are not named properties: a sparse array hashes as before, and differs from a dense one.
    const sparse = [1, 2, 3];
    delete sparse[1];
    expect(hashValue(sparse)).not.toBe(hashValue([1, undefined, 3]));
  });

  it('accepts structures nested 900 deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 900; i++) deep = i % 2 ? { d: deep } : [deep];
    expect(hashValue(deep)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('built-in objects', () => {
  it('hashes a Date by its time value, with every invalid date alike', () => {
    expect(hashValue(new Date(5))).toBe(hashValue(new Date(5)));
    expect(hashValue(new Date(5))).not.toBe(hashValue(new Date(6)));
    expect(hashValue(new Date('nope'))).toBe(hashValue(new Date(Number.NaN)));
    expectAllDistinct([new Date(5), 5, new Date(Number.NaN), Number.NaN]);
  });

  it('hashes a RegExp by source and flags', () => {
    expect(hashValue(/a+/g)).toBe(hashValue(/a+/g));
    expectAllDistinct([/a/, /a/g, /a/i, /b/, 'a', '/a/']);
  });

  it('hashes an Error by constructor, name, message, cause and own enumerable fields', () => {
    const withCode = Object.assign(new Error('boom'), { code: 'E1' });
    expect(hashValue(new Error('boom'))).toBe(hashValue(new Error('boom')));
    expectAllDistinct([
      new Error('boom'),
      new Error('bang'),
      new TypeError('boom'),
      withCode,
      Object.assign(new Error('boom'), { code: 'E2' }),
      new Error('boom', { cause: 1 }),
      { message: 'boom' },
    ]);
  });

  it('hashes a URL by its href', () => {
    expect(hashValue(new URL('https://a.example/x?y=1'))).toBe(hashValue(new URL('https://a.example/x?y=1')));
    expect(hashValue(new URL('https://a.example/x'))).not.toBe(hashValue(new URL('https://a.example/y')));
  });
});

describe('binary data', () => {
  it('feeds the raw bytes of a view after a type and length tag', () => {
    const bytes = new Uint8Array([1, 2, 250]);
    const encoding = encodeInputs('f', [bytes], ['x']);
    expect(encoding.text).toBeUndefined();
    expect(encoding.digest()).toBe(sha256('1:x#Uint8Array:3;', bytes));
    expect(hashValue({ b: new Float64Array([1.5]) })).toBe(
      sha256('{1:b#Float64Array:8;', new Uint8Array(new Float64Array([1.5]).buffer), '}'),
    );
  });

  it('tells apart typed-array kinds, Buffer and Uint8Array, DataView and ArrayBuffer with the same bytes', () => {
    const buffer = new Uint8Array([0, 0, 128, 63, 1, 2, 3, 4]).buffer;
    expectAllDistinct([
      new Float32Array(buffer),
      new Int32Array(buffer),
      new Uint32Array(buffer),
      new Uint8Array(buffer),
      new Uint8ClampedArray(buffer),
      new Int8Array(buffer),
      new Int16Array(buffer),
      new Uint16Array(buffer),
      new Float64Array(buffer),
      new BigInt64Array(buffer),
      new BigUint64Array(buffer),
      new DataView(buffer),
      buffer,
      Buffer.from(buffer),
    ]);
  });

  it('hashes equal content alike whatever the byteOffset', () => {
    const big = new Float64Array(8).fill(7);
    const offset = new Float64Array(big.buffer, 3 * 8, 2);
    expect(hashValue(offset)).toBe(hashValue(new Float64Array([7, 7])));
    const pooled = Buffer.from('hello world').subarray(6);
    expect(hashValue(pooled)).toBe(hashValue(Buffer.from('world')));
    expect(hashValue(new DataView(big.buffer, 8, 8))).toBe(
      hashValue(new DataView(new Float64Array([7]).buffer)),
    );
  });

  it('makes the whole encoding digest-only when any binary is present', () => {
    expect(textOf([1, new Uint8Array(0)])).toBeUndefined();
    expect(textOf([1, 2])).toBeDefined();
  });
});

describe('class instances', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  class Vector {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  class Client {
    socket = () => 'connected';
    constructor(readonly url: string) {}
    [HASH_PROTOCOL]() {
      return this.url;
    }
  }

  it('hashes constructor name plus own enumerable fields, in any order', () => {
    const reordered = Object.assign(Object.create(Point.prototype), { y: 2, x: 1 });
    expect(hashValue(new Point(1, 2))).toBe(hashValue(reordered));
    expectAllDistinct([new Point(1, 2), new Vector(1, 2), { x: 1, y: 2 }, new Point(2, 1)]);
  });

  it('hashes what [HASH_PROTOCOL]() returns instead of the fields', () => {
    expect(hashValue(new Client('redis://a'))).toBe(hashValue(new Client('redis://a')));
    expect(hashValue(new Client('redis://a'))).not.toBe(hashValue(new Client('redis://b')));
    expect(hashValue(new Client('redis://a'))).not.toBe(hashValue('redis://a'));
    expect(HASH_PROTOCOL).toBe(Symbol.for('memoflow.hash'));
  });

  it('tells a subclass of a built-in from the built-in', () => {
    class Registry extends Map<string, number> {}
    class Tagged extends Array<number> {
      label = 'x';
    }
    expect(hashValue(new Registry([['a', 1]]))).not.toBe(hashValue(new Map([['a', 1]])));
    const tagged = Tagged.from([1, 2]) as Tagged;
    expect(hashValue(tagged)).not.toBe(hashValue([1, 2]));
    const relabelled = Tagged.from([1, 2]) as Tagged;
    relabelled.label = 'y';
    expect(hashValue(tagged)).not.toBe(hashValue(relabelled));
  });

  it('lets a [HASH_PROTOCOL]() method call the hasher itself', () => {
    class Nested {
      [HASH_PROTOCOL]() {
        return hashValue({ inner: [1, 2] });
      }
    }
    expect(hashValue([new Nested(), 3])).toBe(hashValue([new Nested(), 3]));
  });
});

describe('text and streamed modes', () => {
  it('returns the encoding as text when small, with digest = sha256(text)', () => {
    const encoding = encodeInputs('f', [42, 'abc'], ['a', 'b']);
    expect(encoding.text).toBe('1:ad42;1:bs3:abc');
    expect(encoding.digest()).toBe(sha256(encoding.text!));
    expect(encoding.digest()).toBe(encoding.digest());
  });

  it('hashes consistently just under and just over the 4096-char threshold', () => {
    // '1:xs' + '4085:' is 9 chars; the string then brings it to exactly 4096, or 4097.
    for (const length of [4086, 4087, 4088, 4085]) {
      const value = 'é'.repeat(length);
      const expected = `1:xs${length}:${value}`;
      const encoding = encodeInputs('f', [value], ['x']);
      expect(encoding.text).toBe(expected.length <= 4096 ? expected : undefined);
      expect(encoding.digest()).toBe(sha256(expected));
    }
  });

  it('streams big strings in slices without splitting surrogate pairs', () => {
    const value = `a${'😀'.repeat(700_000)}b`;
    expect(hashValue(value)).toBe(sha256(`s${value.length}:${value}`));
    const items = Array.from({ length: 3000 }, (_, i) => `item ${i} 😀`);
    expect(hashValue(items)).toBe(sha256(`[${items.map((item) => `s${item.length}:${item}`).join('')}]`));
  });

  it('tells lone surrogates apart from the replacement character, in values and keys', () => {
    expectAllDistinct(['\uD800', '\uDC00', '\uFFFD', '\uD800\uDC00', '\uDC00\uD800']);
    expectAllDistinct([{ '\uD800': 1 }, { '\uFFFD': 1 }, { '\uDBFF': 1 }]);
    const big = 'x'.repeat(70_000);
    expectAllDistinct([`${big}\uD800`, `${big}\uFFFD`, `${big}\uDBFF`]);
    expect(textOf('\uD800')).toBe('1:xj"\\ud800"');
  });
});

describe('unhashable inputs', () => {
  const fixHint = /Pass it through `ignore: \['config'\]`, give the node a `key` function/;

  it('reports a function with node, argument, path and the fix', () => {
    const error = catchError(() =>
      encodeInputs('train', [1, { config: { client: () => 1 } }], ['epochs', 'config']),
    );
    expect(error.code).toBe('UNHASHABLE_INPUT');
    expect(error.node).toBe('train');
    expect(error.argument).toBe('config');
    expect(error.path).toBe('args[1].config.client');
    expect(error.message).toBe(
      "Cannot hash input `config` of `train`: `args[1].config.client` is a function ([function client]). Pass it through `ignore: ['config']`, give the node a `key` function, or give its class a [Symbol.for('memoflow.hash')]() method.",
    );
  });

  it.each([
    ['a symbol', [1, 2, 3, Symbol('s')], 'args[0][3]', /is a symbol \(Symbol\(s\)\)/],
    ['a boxed symbol', { s: Object(Symbol('s')) }, 'args[0].s', /is a boxed symbol/],
    ['a WeakMap', { cache: new WeakMap() }, 'args[0].cache', /is a WeakMap, whose contents cannot be read/],
    ['a WeakSet', [new WeakSet()], 'args[0][0]', /is a WeakSet/],
    ['a WeakRef', { ref: new WeakRef({}) }, 'args[0].ref', /is a WeakRef/],
    ['a generator', { gen: (function* () {})() }, 'args[0].gen', /is a Generator/],
  ])('reports %s with its path', (_, value, path, what) => {
    const error = catchError(() => encodeInputs('train', [value], ['config']));
    expect(error.code).toBe('UNHASHABLE_INPUT');
    expect(error.argument).toBe('config');
    expect(error.path).toBe(path);
    expect(error.message).toMatch(what);
    expect(error.message).toMatch(fixHint);
  });

  it('reports promises and thenables, suggesting to await them', () => {
    class Deferred {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      then() {}
    }
    const cases: [unknown, string, RegExp][] = [
      [{ data: Promise.resolve(1) }, 'args[0].data', /is a Promise/],
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      [{ data: { then: () => {} } }, 'args[0].data', /is a thenable/],
      [[new Deferred()], 'args[0][0]', /is a thenable \(a Deferred with a `then` method\)/],
    ];
    for (const [value, path, what] of cases) {
      const error = catchError(() => encodeInputs('load', [value], ['config']));
      expect(error.path).toBe(path);
      expect(error.message).toMatch(what);
      expect(error.message).toMatch(
        /Await it and pass the result instead, pass it through `ignore: \['config'\]`/,
      );
    }
  });

  it('reports node and web streams, suggesting to read them first', () => {
    const cases: [unknown, string][] = [
      [{ input: Readable.from(['a']) }, 'args[0].input'],
      [{ input: new ReadableStream() }, 'args[0].input'],
      [{ output: new WritableStream() }, 'args[0].output'],
    ];
    for (const [value, path] of cases) {
      const error = catchError(() => encodeInputs('load', [value], ['config']));
      expect(error.path).toBe(path);
      expect(error.message).toMatch(/is a stream/);
      expect(error.message).toMatch(/Read it into a string or Buffer first/);
    }
  });

  it('names Map values by key and Set members by position', () => {
    const inMap = catchError(() => encodeInputs('f', [new Map([['k', () => 1]])], ['config']));
    expect(inMap.path).toBe('args[0].get("k")');
    const inMapKey = catchError(() => encodeInputs('f', [new Map([[Symbol('k'), 1]])], ['config']));
    expect(inMapKey.path).toBe('args[0].<key 0>');
    const inSet = catchError(() => encodeInputs('f', [new Set([1, 2, () => 3])], ['config']));
    expect(inSet.path).toBe('args[0].<member 2>');
    const quoted = catchError(() => encodeInputs('f', [{ 'a-b': [() => 1] }], ['config']));
    expect(quoted.path).toBe('args[0]["a-b"][0]');
    const viaProtocol = catchError(() =>
      encodeInputs('f', [{ [HASH_PROTOCOL]: () => ({ fn: () => 1 }) }], ['config']),
    );
    expect(viaProtocol.path).toBe("args[0][Symbol.for('memoflow.hash')]().fn");
  });

  it('reports a circular reference with the path back to its target', () => {
    const root: any = { a: { b: {} } };
    root.a.b.c = root;
    const error = catchError(() => encodeInputs('train', [root], ['config']));
    expect(error.path).toBe('args[0].a.b.c');
    expect(error.message).toMatch(/`args\[0\].a.b.c` refers back to `args\[0\]` \(a circular reference\)/);
    expect(error.message).toMatch(/Break the cycle/);

    const list: unknown[] = [1];
    list.push({ again: list });
    expect(catchError(() => encodeInputs('f', [0, list], ['a', 'config'])).path).toBe('args[1][1].again');

    const map = new Map<string, unknown>();
    map.set('self', map);
    expect(catchError(() => hashValue(map)).path).toBe('value.get("self")');

    class Loop {
      [HASH_PROTOCOL]() {
        return this;
      }
    }
    expect(catchError(() => hashValue(new Loop())).message).toMatch(/refers back to `value`/);
  });

  it('finds a cycle deeper than the fast path scans', () => {
    const head: any = { n: 0 };
    let node = head;
    for (let i = 1; i < 100; i++) node = node.next = { n: i };
    node.next = head.next.next;
    const error = catchError(() => encodeInputs('f', [head], ['list']));
    expect(error.path).toBe(`args[0]${'.next'.repeat(100)}`);
    expect(error.message).toMatch(/refers back to `args\[0\].next.next`/);
  });

  it('reports excessive depth as an error with a path, not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const error = catchError(() => encodeInputs('f', [deep], ['tree']));
    expect(error.path).toBe(`args[0]${'.d'.repeat(1000)}`);
    expect(error.message).toMatch(/is nested more than 1000 levels deep/);

    let deepMaps: unknown = 1;
    for (let i = 0; i < 5000; i++) deepMaps = new Map([['m', deepMaps]]);
    expect(catchError(() => hashValue(deepMaps)).message).toMatch(/more than 1000 levels deep/);
  });

  it('uses the given paths and names, and hashValue its own', () => {
    const error = catchError(() => encodeInputs('f', [1, [() => 1]], ['a', 'b'], ['a', 'opts.b']));
    expect(error.argument).toBe('b');
    expect(error.path).toBe('opts.b[0]');
    const direct = catchError(() => hashValue({ f: () => 1 }, 'train', 'config'));
    expect([direct.node, direct.argument, direct.path]).toEqual(['train', 'config', 'config.f']);
    expect(catchError(() => hashValue(() => 1)).path).toBe('value');
  });

  it('does not let a failed call disturb the next one', () => {
    catchError(() => hashValue({ a: [1, () => 1] }));
    expect(textOf({ a: [1] })).toBe('1:x{1:a[d1;]}');
  });
});
