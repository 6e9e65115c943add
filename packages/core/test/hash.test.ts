import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { hashParts, primitive } from '../src/util/hash.ts';

test('one-shot and streamed digests agree with sha256, for text and bytes', () => {
  for (const data of ['', 'memoflow', 'ünïcödé ✓', randomBytes(1), randomBytes(100_000)]) {
    const expected = createHash('sha256').update(data).digest('hex');
    expect(primitive.hash(data)).toBe(expected);
    const streamed = primitive.create().update(data).update('tail').digest();
    expect(streamed).toBe(createHash('sha256').update(data).update('tail').digest('hex'));
  }
});

test('hashParts length-prefixes each part, so no two lists of parts share a digest', () => {
  expect(hashParts(['ab', 'c'])).not.toBe(hashParts(['a', 'bc']));
  expect(hashParts(['a:b'])).not.toBe(hashParts(['a', 'b']));
  expect(hashParts([])).not.toBe(hashParts(['']));
});
