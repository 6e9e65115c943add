/**
 * What a mapped node's hits saved on a KeyvCache: the compute times read back from the entries'
 * headers (computeTimes), through @keyv/redis on the shared test Redis (namespaces of their own)
 * and on Keyv's in-memory Map store.
 */
import { createKeyv } from '@keyv/redis';
import { savedTimeTests } from '@memoflow/conformance';
import { describeWithRedis, testPrefix } from '@memoflow/test-utils';
import { Keyv } from 'keyv';
import { expect, onTestFinished, test } from 'vitest';
import { KeyvCache } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (text: string) => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('KeyvCache saved time', (url) => {
  savedTimeTests('KeyvCache over @keyv/redis (computeTimes, read by a second instance)', () => {
    const namespace = testPrefix('keyv:saved-time').slice(0, -1);
    const open = () => new KeyvCache(createKeyv(url, { namespace, throwOnErrors: true }));
    return { filled: open(), reread: open() };
  });
});

savedTimeTests("KeyvCache over Keyv's Map store", () => ({ filled: new KeyvCache(new Keyv()) }));

test('computeTimes answers in order: undefined for an absent, expired or damaged entry, or one stored without a time', async () => {
  const keyv = new Keyv();
  const cache = new KeyvCache(keyv);
  onTestFinished(() => cache.close());
  await cache.setBlob(key(1), bytes('a'), { node: 'n', computeMs: 12.5 });
  await cache.setBlob(key(2), bytes('b'), { node: 'n' });
  await cache.setBlob(key(3), bytes('c'), { node: 'n', computeMs: 4 });
  await keyv.set(`memoflow:entry:${key(3)}`, 'garbage');
  await cache.setBlob(key(5), bytes('e'), { node: 'n', computeMs: 6, ttl: 1 });
  await sleep(5);
  expect(await cache.computeTimes([key(4), key(1), key(2), key(3), key(5), key(1)])).toEqual([
    undefined,
    12.5,
    undefined,
    undefined,
    undefined,
    12.5,
  ]);
  expect(await cache.computeTimes([])).toEqual([]);
  await expect(cache.computeTimes(['not-hex'])).rejects.toThrow(/key/i);
});
