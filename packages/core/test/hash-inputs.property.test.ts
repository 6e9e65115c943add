import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeInputs, hashValue } from '../src/signature/inputs/hash-inputs.ts';

class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}
class Pair {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}

const typedArrayKinds = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

const binary = fc.oneof(
  fc.tuple(fc.constantFrom(...typedArrayKinds), fc.uint8Array({ maxLength: 16 })).map(([Kind, bytes]) => {
    const whole = bytes.subarray(0, bytes.length - (bytes.length % Kind.BYTES_PER_ELEMENT));
    return new Kind(whole.slice().buffer);
  }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => new DataView(bytes.buffer)),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => bytes.buffer),
);

/** Values that look alike, so that a small corpus holds many near-collisions. */
const tricky = fc.constantFrom<unknown>(
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1,
  12,
  '1',
  '12',
  '',
  'a,b',
  'a',
  'b',
  '\uD800',
  '\uFFFD',
  1n,
  12n,
  true,
  false,
  null,
  undefined,
);

const leaf = fc.oneof(
  tricky,
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.date({ noInvalidDate: false }),
  fc.constantFrom(/a/, /a/g, /a/i, /b/),
  fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.boolean(), fc.bigInt()).map((v) => Object(v)),
  fc
    .tuple(fc.constantFrom(Error, TypeError), fc.string({ maxLength: 4 }), fc.option(fc.integer()))
    .map(([Kind, message, code]) =>
      code === null ? new Kind(message) : Object.assign(new Kind(message), { code }),
    ),
  binary,
);

const keys = fc.constantFrom('a', 'b', 'c', 'ab', '1', '10', '2', '__proto__', '\uD800', '');

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.sparseArray(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 4, noNullPrototype: false }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((members) => new Set(members)),
    fc.tuple(fc.constantFrom(Point, Pair), tie('value'), tie('value')).map(([Kind, x, y]) => new Kind(x, y)),
  ),
}));

/** A small deterministic PRNG, so a copy's reordering is reproducible from the seed fast-check shrinks. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled<T>(items: T[], rand: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** A deep copy equal in meaning: keys, entries and members re-inserted in another order, bytes moved to fresh buffers. */
function reorderedCopy(value: unknown, rand: () => number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const copy = (v: unknown) => reorderedCopy(v, rand);
  const offset = Math.floor(rand() * 4);
  if (Buffer.isBuffer(value)) {
    const moved = Buffer.alloc(value.length + offset).subarray(offset);
    moved.set(value);
    return moved;
  }
  if (value instanceof DataView) {
    const moved = new DataView(new ArrayBuffer(value.byteLength + offset), offset, value.byteLength);
    new Uint8Array(moved.buffer, offset).set(
      new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    );
    return moved;
  }
  if (ArrayBuffer.isView(value)) {
    const source = value as unknown as Uint8Array;
    const Kind = source.constructor as new (
      buffer: ArrayBuffer,
      byteOffset: number,
      length: number,
    ) => Uint8Array;
    const size = (source as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    const moved = new Kind(new ArrayBuffer((source.length + offset) * size), offset * size, source.length);
    moved.set(source);
    return moved;
  }
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (Array.isArray(value)) {
    const moved = new Array(value.length);
    for (let i = 0; i < value.length; i++) if (i in value) moved[i] = copy(value[i]);
    return moved;
  }
  if (value instanceof Map) return new Map(shuffled([...value], rand).map(([k, v]) => [copy(k), copy(v)]));
  if (value instanceof Set) return new Set(shuffled([...value], rand).map(copy));
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (value instanceof Error) {
    const moved = new (value.constructor as ErrorConstructor)(value.message);
    for (const key of shuffled(Object.keys(value), rand)) (moved as any)[key] = copy((value as any)[key]);
    return moved;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Number.prototype || proto === String.prototype || proto === Boolean.prototype) {
    return Object(value.valueOf());
  }
  if (proto === BigInt.prototype) return Object(value.valueOf());
  // Plain objects may swap Object.prototype for null: the two are equal by content.
  const isPlain = proto === Object.prototype || proto === null;
  const moved = isPlain ? (rand() < 0.5 ? {} : Object.create(null)) : Object.create(proto);
  for (const key of shuffled(Object.keys(value), rand)) {
    Object.defineProperty(moved, key, {
      value: copy((value as any)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return moved;
}

/** Trusted structural identity, independent of the encoder: typed JSON with sorted keys, entries and members. */
function canonical(value: unknown): string {
  return JSON.stringify(tree(value));
}

function tree(value: unknown): unknown {
  switch (typeof value) {
    case 'undefined':
      return ['undefined'];
    case 'number':
      return ['number', Object.is(value, -0) ? '-0' : String(value)];
    case 'bigint':
      return ['bigint', String(value)];
    case 'string':
    case 'boolean':
      return [typeof value, value];
  }
  if (value === null || typeof value !== 'object') return ['null'];
  const fields = (object: object) =>
    Object.keys(object)
      .sort()
      .map((key) => [key, tree((object as any)[key])]);
  if (Buffer.isBuffer(value)) return ['Buffer', [...value]];
  if (ArrayBuffer.isView(value)) {
    return [value.constructor.name, [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)]];
  }
  if (value instanceof ArrayBuffer) return ['ArrayBuffer', [...new Uint8Array(value)]];
  if (Array.isArray(value))
    return [
      'array',
      Array.from({ length: value.length }, (_, i) => (i in value ? tree(value[i]) : ['hole'])),
    ];
  if (value instanceof Map) return ['Map', [...value].map(([k, v]) => canonical([k, v])).sort()];
  if (value instanceof Set) return ['Set', [...value].map(canonical).sort()];
  if (value instanceof Date) return ['Date', String(value.getTime())];
  if (value instanceof RegExp) return ['RegExp', value.source, value.flags];
  if (value instanceof Error) return ['Error', value.constructor.name, value.message, fields(value)];
  const proto = Object.getPrototypeOf(value);
  if ([Number.prototype, String.prototype, Boolean.prototype, BigInt.prototype].includes(proto)) {
    return ['boxed', tree(value.valueOf())];
  }
  if (proto === Object.prototype || proto === null) return ['object', fields(value)];
  return ['instance', proto.constructor.name, fields(value)];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hashValue properties', () => {
  it('hashes a reordered deep copy (keys, Map/Set order, buffers at other offsets) the same', () => {
    fc.assert(
      fc.property(value, fc.integer(), (original, seed) => {
        const copy = reorderedCopy(original, random(seed));
        expect(canonical(copy)).toBe(canonical(original));
        expect(hashValue(copy)).toBe(hashValue(original));
      }),
      { numRuns: 500 },
    );
  });

  it('gives distinct digests exactly to structurally distinct values', () => {
    const small = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        { arbitrary: tricky, weight: 8 },
        fc.array(tie('value'), { maxLength: 2 }),
        fc.sparseArray(tie('value'), { maxLength: 2 }),
        fc.dictionary(fc.constantFrom('a', 'b', '1'), tie('value'), { maxKeys: 2 }),
        fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }).map((entries) => new Map(entries)),
        fc.array(tie('value'), { maxLength: 2 }).map((members) => new Set(members)),
        fc.tuple(fc.constantFrom(Point, Pair), tricky, tricky).map(([Kind, x, y]) => new Kind(x, y)),
        fc.constantFrom(0, 1, 12).map((time) => new Date(time)),
        fc.uint8Array({ maxLength: 2 }).map((bytes) => Buffer.from(bytes)),
        fc.uint8Array({ maxLength: 2 }),
      ),
    })).value;
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ arbitrary: small, weight: 4 }, value), { minLength: 20, maxLength: 100 }),
        (corpus) => {
          const digestByShape = new Map<string, string>();
          const shapeByDigest = new Map<string, string>();
          for (const item of corpus) {
            const shape = canonical(item);
            const digest = hashValue(item);
            expect(digestByShape.get(shape) ?? digest).toBe(digest);
            expect(shapeByDigest.get(digest) ?? shape).toBe(shape);
            digestByShape.set(shape, digest);
            shapeByDigest.set(digest, shape);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('digests the same content alike whether it stays text or streams past the thresholds', () => {
    const textValue = value.filter((v) => {
      const text = encodeInputs('f', [v], ['x']).text;
      return text !== undefined && text.length < 600;
    });
    const pad = fc.oneof(
      fc.integer({ min: 3980, max: 4100 }),
      fc.integer({ min: 65_400, max: 65_600 }),
      fc.integer({ min: 0, max: 200_000 }),
    );
    fc.assert(
      fc.property(textValue, pad, fc.integer({ min: 1, max: 400 }), (item, padLength, copies) => {
        const body = encodeInputs('f', [item], ['x']).text!.slice('1:x'.length);
        const filler = '€'.repeat(padLength);
        const padded = encodeInputs('f', [[item, filler, item]], ['x']);
        const expected = `1:x[${body}s${padLength}:${filler}${body}]`;
        expect(padded.text).toBe(expected.length <= 4096 ? expected : undefined);
        expect(padded.digest()).toBe(sha256(expected));
        // Many copies cross the 64 KiB flush point at varying positions inside the structure.
        const repeated = Array.from({ length: copies }, () => item);
        expect(hashValue({ r: repeated })).toBe(sha256(`{1:r[${body.repeat(copies)}]}`));
      }),
      { numRuns: 200 },
    );
  });
});
