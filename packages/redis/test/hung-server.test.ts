/**
 * Management of a RedisCache whose server hangs (a private redis-server stopped with SIGSTOP: its
 * connections stay open, nothing answers): every call rejects with a BACKEND error instead of
 * waiting forever, and the server is usable again once it resumes.
 */
import { startRedisServer } from '@memoflow/test-utils';
import { expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
/** Far more than a call may take (two timeouts of 500 ms), far less than forever. */
const LIMIT_MS = 30_000;

/** How `call` settles: a rejection's error, or `settled: false` past LIMIT_MS. */
async function outcome(call: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    call().then(
      () => ({ settled: true, error: undefined as unknown }),
      (error: unknown) => ({ settled: true, error }),
    ),
    new Promise<{ settled: false; error: undefined }>((resolve) => {
      timer = setTimeout(() => resolve({ settled: false, error: undefined }), LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  return result;
}

test('info, prune, verify, clear, delete and entries on a hung server reject with a BACKEND error', async () => {
  const server = await startRedisServer();
  const warnings: string[] = [];
  const cache = new RedisCache({
    url: server.url,
    prefix: 'hung:',
    timeout: 500,
    onWarning: (line) => warnings.push(line),
  });
  const calls: [string, () => Promise<unknown>][] = [
    ['info()', () => cache.info()],
    ['prune()', () => cache.prune({ maxEntries: 0 })],
    ['verify()', () => cache.verify()],
    ['clear()', () => cache.clear()],
    ['clear({ node })', () => cache.clear({ node: 'n' })],
    ['delete()', () => cache.delete(key(1))],
    [
      'entries()',
      async () => {
        for await (const _ of cache.entries()) {
          // Listing only.
        }
      },
    ],
  ];
  try {
    for (let i = 1; i <= 20; i++) await cache.setBlob(key(i), Buffer.from(`value ${i}`), { node: 'n' });
    expect((await cache.info()).entries).toBe(20);
    process.kill(server.pid!, 'SIGSTOP');
    for (const [name, call] of calls) {
      const { settled, error } = await outcome(call);
      expect(settled, `${name} settles`).toBe(true);
      expect(error, name).toMatchObject({ code: 'BACKEND', message: expect.stringContaining(server.url) });
      expect((error as Error).message, name).toContain(name.replace(/\(.*\)/, '()'));
    }
    process.kill(server.pid!, 'SIGCONT');
    // Resumed: the commands that waited are answered in order, and management works again.
    expect((await cache.info()).entries).toBeLessThanOrEqual(20);
  } finally {
    if (server.pid) process.kill(server.pid, 'SIGCONT');
    await cache.close();
    await server.stop();
  }
});
