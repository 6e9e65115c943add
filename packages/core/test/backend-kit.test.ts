/** The kit's pieces that every backend shares: batched access times, credential stripping, byte formatting, failure wrapping. */
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  ACCESS_FLUSH_KEYS,
  ACCESS_FLUSH_MS,
  AccessBatch,
  backendFailure,
  formatBytes,
  type NotedAccess,
  withoutCredentials,
} from '../src/backends/kit/index.ts';
import { BackendError } from '../src/errors.ts';

/** An AccessBatch whose writes are recorded: each batch as `key → access`, and whether each key was forgotten meanwhile. */
function recorded(write?: (batch: ReadonlyMap<string, NotedAccess>) => unknown) {
  const batches: Map<string, NotedAccess>[] = [];
  const batch = new AccessBatch((written) => {
    batches.push(new Map([...written].map(([key, access]) => [key, { ...access }])));
    return write?.(written);
  });
  return { batch, batches };
}

describe('AccessBatch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test(`writes a batch ${ACCESS_FLUSH_MS} ms after its first read, not before, with the latest time and every hit`, async () => {
    vi.useFakeTimers();
    const { batch, batches } = recorded();
    batch.note('a', 100);
    batch.note('a', 200);
    batch.note('b', 150);
    await vi.advanceTimersByTimeAsync(ACCESS_FLUSH_MS - 1);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([
      new Map([
        ['a', { time: 200, hits: 2 }],
        ['b', { time: 150, hits: 1 }],
      ]),
    ]);
    expect(batch.size).toBe(0);
  });

  test(`writes a batch at once when it holds ${ACCESS_FLUSH_KEYS} keys`, () => {
    const { batch, batches } = recorded();
    for (let i = 0; i < ACCESS_FLUSH_KEYS - 1; i++) batch.note(`k${i}`, i);
    expect(batches).toEqual([]);
    batch.note('last', 1);
    // A synchronous write is done by the time note() returns.
    expect(batches).toHaveLength(1);
    expect(batches[0]!.size).toBe(ACCESS_FLUSH_KEYS);
    expect(batch.size).toBe(0);
  });

  test('the limits can be tuned', async () => {
    const batches: number[] = [];
    const batch = new AccessBatch((written) => batches.push(written.size), {
      flushAtKeys: 2,
      flushAfterMs: 5,
    });
    batch.note('a', 1);
    batch.note('b', 1);
    expect(batches).toEqual([2]);
    batch.note('c', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([2, 1]);
  });

  test('a read of an entry stored again (another creation time) starts its count afresh', async () => {
    const { batch, batches } = recorded();
    batch.note('a', 10, { createdAt: 1 });
    batch.note('a', 20, { createdAt: 1, expiresAt: 99 });
    batch.note('a', 30, { createdAt: 2, expiresAt: 50 });
    await batch.flush();
    expect(batches).toEqual([new Map([['a', { time: 30, hits: 1, createdAt: 2, expiresAt: 50 }]])]);
  });

  test('forget() drops unwritten reads, and tells a write under way which keys went meanwhile', async () => {
    let release = () => {};
    const seen: boolean[] = [];
    const batch = new AccessBatch(async (_written, removed) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      seen.push(removed.has('a'), removed.has('b'));
    });
    batch.note('a', 1);
    batch.note('b', 1);
    const flushed = batch.flush();
    batch.forget(['a']);
    release();
    await flushed;
    expect(seen).toEqual([true, false]);
    batch.note('c', 1);
    batch.forgetAll();
    expect(batch.size).toBe(0);
  });

  test('batches are written one at a time, in order; a failing write is swallowed and the next one still goes', async () => {
    const order: string[] = [];
    let calls = 0;
    const batch = new AccessBatch(async (written) => {
      const keys = [...written.keys()].join();
      order.push(`start ${keys}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`end ${keys}`);
      if (calls++ === 0) throw new Error('store down');
    });
    batch.note('a', 1);
    const first = batch.flush();
    batch.note('b', 1);
    const second = batch.flush();
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  test('take() hands the reads to a caller that writes them itself; nothing is left to flush', async () => {
    const { batch, batches } = recorded();
    batch.note('a', 5);
    expect([...batch.take()]).toEqual([['a', { time: 5, hits: 1 }]]);
    await batch.flush();
    expect(batches).toEqual([]);
  });
});

describe('withoutCredentials', () => {
  test('drops the user name and password', () => {
    expect(withoutCredentials('redis://memo:s3cret@127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(withoutCredentials('rediss://:a%20password@cache:6380/2')).toBe('rediss://cache:6380/2');
  });

  test('drops query parameters that carry a secret, keeps the others', () => {
    const url =
      'postgres://db.internal:5432/app?sslmode=require&password=pw&access_token=t0k&apiKey=k&auth=x';
    expect(withoutCredentials(url)).toBe('postgres://db.internal:5432/app?sslmode=require');
    expect(withoutCredentials('redis://h:1/?token=abc&db=2')).toBe('redis://h:1/?db=2');
    expect(withoutCredentials('redis://h:1/?token=abc')).toBe('redis://h:1');
  });

  test('drops a trailing slash and the fragment', () => {
    expect(withoutCredentials('redis://127.0.0.1:6379/')).toBe('redis://127.0.0.1:6379');
    expect(withoutCredentials('https://u:p@host/x#secret')).toBe('https://host/x');
  });

  test('is undefined for what is not a URL: nothing of it is shown', () => {
    expect(withoutCredentials('user:pw@host')).toBeUndefined();
    expect(withoutCredentials('')).toBeUndefined();
  });
});

describe('formatBytes', () => {
  test('rolls over to the next unit instead of printing 1024 of one: B → KiB → MiB → GiB → TiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatBytes(1024 * 1024)).toBe('1.0 MiB');
    expect(formatBytes(152 * 1024 * 1024)).toBe('152 MiB');
    expect(formatBytes(1024 ** 3 - 1)).toBe('1.0 GiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
    expect(formatBytes(1024 ** 4 - 1)).toBe('1.0 TiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TiB');
  });
});

describe('backendFailure', () => {
  test('a BackendError with the backend, what failed and the cause’s message, the cause kept', () => {
    const cause = new Error('EACCES: permission denied');
    const error = backendFailure('disk', 'Cannot open the index at /x', cause);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({
      code: 'BACKEND',
      backend: 'disk',
      message: 'Cannot open the index at /x: EACCES: permission denied',
      cause,
    });
    expect(backendFailure('keyv', 'KeyvCache could not write', 'no write').message).toBe(
      'KeyvCache could not write: no write',
    );
  });
});
