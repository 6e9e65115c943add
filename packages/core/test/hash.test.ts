import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { hashParts, portablePrimitive, primitive } from '../src/_hash.ts';

test('the pure-JS primitive gives the same digests as node:crypto, for text and bytes, one-shot and streamed', () => {
  for (const data of ['', 'memoflow', 'ünïcödé ✓', randomBytes(1), randomBytes(100_000)]) {
    expect(portablePrimitive.hash(data)).toBe(primitive.hash(data));
    const streamed = portablePrimitive.create().update(data).update('tail').digest();
    expect(streamed).toBe(primitive.create().update(data).update('tail').digest());
  }
});

test('hashParts length-prefixes each part, so no two lists of parts share a digest', () => {
  expect(hashParts(['ab', 'c'])).not.toBe(hashParts(['a', 'bc']));
  expect(hashParts(['a:b'])).not.toBe(hashParts(['a', 'b']));
  expect(hashParts([])).not.toBe(hashParts(['']));
});
