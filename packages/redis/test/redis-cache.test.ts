/**
 * RedisCache against a real Redis: the conformance suite, bytes stored as bytes, prefixes kept
 * apart, signing (an entry tampered with through redis-cli is not served), and outages of a
 * private redis-server stopped and started again in the middle of a run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describeCacheBackend } from '@memoflow/conformance';
import { func, MemoryCache, Pipeline, Runner, TieredCache } from '@memoflow/core';
import { describeWithRedis, startRedisServer, testPrefix } from '@memoflow/test-utils';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const run = promisify(execFile);
const key = (n: number) => n.toString(16).padStart(64, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How often a memoized function really ran. Module-level: a memoized function may read it. */
const computed = { count: 0 };

describeWithRedis('RedisCache', (url) => {
  describeCacheBackend('RedisCache', () => new RedisCache({ url, prefix: testPrefix('conformance') }));
  describeCacheBackend(
    'TieredCache of a MemoryCache over a RedisCache',
    () => new TieredCache([new MemoryCache(), new RedisCache({ url, prefix: testPrefix('tiered') })]),
  );

  /** A raw client on the same server, returning bytes, to look at what RedisCache wrote. */
  const raw = createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  beforeAll(async () => {
    await raw.connect();
  });
  afterAll(async () => {
    raw.destroy();
  });
  const opened: RedisCache[] = [];
  const open = (options: ConstructorParameters<typeof RedisCache>[0] = {}) => {
    const cache = new RedisCache({ url, prefix: testPrefix('redis'), ...options });
    opened.push(cache);
    return cache;
  };
  afterAll(async () => {
    for (const cache of opened) {
      await cache.clear().catch(() => {});
      await cache.close();
    }
  });
  /** The keys under a prefix, and their values. */
  const keysUnder = async (prefix: string) => (await raw.keys(`${prefix}*`)).map(String).sort();

  test('values are stored as bytes, not base64: every byte value round-trips, and the stored value is the bytes after a small header', async () => {
    const prefix = testPrefix('bytes');
    const cache = open({ prefix });
    const value = new Uint8Array(256 * 4).map((_, i) => i % 256);
    await cache.setBlob(key(1), value, { node: 'n' });
    expect(Buffer.compare(Buffer.from((await cache.getBlob(key(1)))!), Buffer.from(value))).toBe(0);
    const stored = (await raw.get(`${prefix}v:${key(1)}`)) as unknown as Buffer;
    expect(stored.subarray(stored.length - value.length).equals(Buffer.from(value))).toBe(true);
    expect(stored.length - value.length).toBeLessThan(64);
  });

  test('a 64 MiB value round-trips', async () => {
    const cache = open();
    const value = randomBytes(64 * 1024 * 1024);
    await cache.setBlob(key(2), value, { node: 'large' });
    const back = await cache.getBlob(key(2));
    expect(back?.length).toBe(value.length);
    expect(Buffer.compare(Buffer.from(back!), value)).toBe(0);
    await cache.delete(key(2));
  });

  test('several projects share one server: clear() removes its own prefix only', async () => {
    const [mine, theirs] = [testPrefix('mine'), testPrefix('theirs')];
    const [a, b] = [open({ prefix: mine }), open({ prefix: theirs })];
    await a.setBlob(key(1), Buffer.from('a'), { node: 'n' });
    await b.setBlob(key(1), Buffer.from('b'), { node: 'n' });
    await raw.set(`${mine.slice(0, -1)}-unrelated`, 'not ours');
    await a.clear();
    expect(await keysUnder(mine)).toEqual([]);
    expect(Buffer.from((await b.getBlob(key(1)))!).toString()).toBe('b');
    expect(String(await raw.get(`${mine.slice(0, -1)}-unrelated`))).toBe('not ours');
    await raw.del(`${mine.slice(0, -1)}-unrelated`);
  });

  test('getMany() is one MGET however many keys', async () => {
    const server = await startRedisServer();
    const cache = new RedisCache({ url: server.url });
    try {
      for (let i = 0; i < 100; i++) await cache.setBlob(key(i), Buffer.from(`v${i}`), { node: 'n' });
      const stats = createClient({ url: server.url });
      await stats.connect();
      const calls = async (command: string) =>
        Number(
          /calls=(\d+)/.exec((await stats.info('commandstats')).split(`cmdstat_${command}:`)[1] ?? '')?.[1] ??
            0,
        );
      const [mgetBefore, getBefore] = [await calls('mget'), await calls('get')];
      const values = await cache.getMany(Array.from({ length: 100 }, (_, i) => key(i)));
      expect(values.map((value) => Buffer.from(value!).toString())).toEqual(
        Array.from({ length: 100 }, (_, i) => `v${i}`),
      );
      expect([(await calls('mget')) - mgetBefore, (await calls('get')) - getBefore]).toEqual([1, 0]);
      stats.destroy();
    } finally {
      await cache.close();
      await server.stop();
    }
  });

  test('ttl is Redis’s own: the keys carry it, and the entry is gone after it', async () => {
    const prefix = testPrefix('ttl');
    const cache = open({ prefix, ttl: 60_000 });
    await cache.setBlob(key(1), Buffer.from('short'), { node: 'n', ttl: 80 });
    await cache.setBlob(key(2), Buffer.from('default'), { node: 'n' });
    const ttl = await raw.pTTL(`${prefix}v:${key(1)}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(80);
    expect(await raw.pTTL(`${prefix}v:${key(2)}`)).toBeGreaterThan(59_000);
    await sleep(120);
    expect(await cache.getMany([key(1), key(2)])).toEqual([undefined, expect.any(Buffer)]);
  });

  describe('signing', () => {
    const signingKey = 'a shared secret, 32 bytes or so';

    test('an entry tampered with through redis-cli is not served: a miss, counted, and removed', async () => {
      const prefix = testPrefix('signed');
      const cache = open({ prefix, signingKey });
      await cache.setBlob(key(1), Buffer.from('the true value'), { node: 'n' });
      await cache.setBlob(key(2), Buffer.from('left alone'), { node: 'n' });
      const valueKey = `${prefix}v:${key(1)}`;
      const length = await raw.strLen(valueKey);
      // Overwrite the value's last four bytes, as anyone with access to the server could.
      await run('redis-cli', ['-u', url, 'SETRANGE', valueKey, String(length - 4), 'EVIL']);
      expect(await cache.getBlob(key(1))).toBeUndefined();
      expect(Buffer.from((await cache.getBlob(key(2)))!).toString()).toBe('left alone');
      expect((await cache.info()).rejected).toBe(1);
      expect(await raw.exists(valueKey)).toBe(0);
    });

    test('an entry written without the key, or with another, is not served', async () => {
      const prefix = testPrefix('signed');
      const [unsigned, other, signed] = [
        open({ prefix }),
        open({ prefix, signingKey: 'another secret, also long enough' }),
        open({ prefix, signingKey }),
      ];
      await unsigned.setBlob(key(1), Buffer.from('unsigned'), { node: 'n' });
      await other.setBlob(key(2), Buffer.from('signed by another'), { node: 'n' });
      await signed.setBlob(key(3), Buffer.from('signed'), { node: 'n' });
      expect(
        (await signed.getMany([key(1), key(2), key(3)])).map(
          (value) => value && Buffer.from(value).toString(),
        ),
      ).toEqual([undefined, undefined, 'signed']);
      expect((await signed.info()).rejected).toBe(2);
    });

    test('bytes that are not an entry at all are a miss, never an error', async () => {
      const prefix = testPrefix('garbage');
      const cache = open({ prefix });
      await cache.setBlob(key(1), Buffer.from('real'), { node: 'n' });
      await raw.set(`${prefix}v:${key(1)}`, randomBytes(100));
      expect(await cache.getBlob(key(1))).toBeUndefined();
      expect((await cache.info()).corrupt).toBe(1);
    });
  });

  test('verify() reports and removes damaged entries and values without their record; a second pass is clean', async () => {
    const prefix = testPrefix('verify');
    const cache = open({ prefix });
    for (let i = 1; i <= 3; i++) await cache.setBlob(key(i), Buffer.from(`value ${i}`), { node: 'n' });
    await raw.setRange(`${prefix}v:${key(1)}`, 30, 'X');
    await raw.del(`${prefix}i:${key(2)}`);
    const report = await cache.verify();
    expect(report).toMatchObject({ checked: 2, corrupt: [key(1)], missing: [], orphans: 1, ok: false });
    expect(await cache.verify()).toMatchObject({ checked: 1, ok: true });
    expect(await keysUnder(`${prefix}v:`)).toEqual([`${prefix}v:${key(3)}`]);
  });

  test('two processes share a RedisCache: the second gets a hit for everything the first computed', () => {
    const prefix = testPrefix('processes');
    open({ prefix }); // cleared after the tests, with what the processes wrote
    const fixture = fileURLToPath(new URL('./fixtures/shared-square.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const runProcess = () =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ['--conditions=memoflow-source', '--import', tsx, fixture, url, prefix, '1', '20'],
          {
            encoding: 'utf8',
          },
        ),
      );
    expect(runProcess()).toEqual({ hits: 0, misses: 20, wrong: [] });
    expect(runProcess()).toEqual({ hits: 20, misses: 0, wrong: [] });
  });

  test('a process busy longer than the timeout (a node computing synchronously) is not an outage: the answer that came meanwhile counts', async () => {
    const warnings: string[] = [];
    const cache = open({ prefix: testPrefix('busy'), timeout: 100, onWarning: (m) => warnings.push(m) });
    await cache.setBlob(key(1), Buffer.from('kept'), { node: 'n' });
    const pending = cache.getBlob(key(1));
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // Busy, as a CPU-bound node is: no timer, no socket is served meanwhile.
    }
    expect(Buffer.from((await pending)!).toString()).toBe('kept');
    expect(warnings).toEqual([]);
    expect((await cache.info()).outages).toBe(0);
  });

  test('a run of synchronous nodes longer than the timeout, with its lookups and stores waiting behind them, is not an outage', async () => {
    const warnings: string[] = [];
    const cache = open({ prefix: testPrefix('busy-run'), timeout: 100, onWarning: (m) => warnings.push(m) });
    const spin = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // A CPU-bound node.
      }
    };
    const nodes = Array.from({ length: 8 }, (_, i) =>
      func({ output: `busy${i}`, inputs: ['seed'], captures: { i } }, (seed: number) => {
        spin(60);
        return seed + i;
      }),
    );
    const pipeline = new Pipeline(nodes);
    const inputs = { seed: Date.now() };
    const runner = new Runner({ concurrency: 2, cache: { backend: cache } });
    const { report } = await runner.run(pipeline, inputs);
    expect(report.nodes.every((node) => node.status === 'miss')).toBe(true);
    expect(warnings).toEqual([]);
    // Every result was stored: the cache was never taken for down.
    const again = await runner.run(pipeline, inputs);
    expect(again.report.nodes.every((node) => node.status === 'hit')).toBe(true);
  });

  test('readOnly: reads, never writes; changing the cache is refused with a CONFIG error', async () => {
    const prefix = testPrefix('read-only');
    const writer = open({ prefix });
    const reader = open({ prefix, readOnly: true });
    await writer.setBlob(key(1), Buffer.from('shared'), { node: 'n' });
    await reader.setBlob(key(2), Buffer.from('never stored'), { node: 'n' });
    expect(Buffer.from((await reader.getBlob(key(1)))!).toString()).toBe('shared');
    expect(await writer.has(key(2))).toBe(false);
    for (const change of [
      () => reader.delete(key(1)),
      () => reader.clear(),
      () => reader.prune({ maxEntries: 0 }),
    ]) {
      await expect(change()).rejects.toMatchObject({ code: 'CONFIG' });
    }
    expect(await reader.prune({ maxEntries: 0, dryRun: true })).toMatchObject({ entries: 1 });
  });

  test('bad options are CONFIG errors naming the option', () => {
    for (const [options, name] of [
      [{ url: 'http://localhost' }, 'url'],
      [{ prefix: '' }, 'prefix'],
      [{ ttl: -1 }, 'ttl'],
      [{ signingKey: 'short' }, 'signingKey'],
      [{ url, client: {} }, 'client'],
    ] as const) {
      expect(() => new RedisCache(options)).toThrow(
        expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining(name) }),
      );
    }
  });
});

describe('RedisCache over TLS with a password, both through the URL', () => {
  /** A certificate authority and a server certificate for 127.0.0.1, made with openssl. */
  function makeCertificates(dir: string) {
    const at = (name: string) => join(dir, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=memoflow test CA',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('server.key'),
      '-out',
      at('server.csr'),
      '-subj',
      '/CN=127.0.0.1',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('server.pem'),
      '-days',
      '1',
      '-extfile',
      at('san.ext'),
    );
    return { cert: at('server.pem'), key: at('server.key'), ca: at('ca.pem') };
  }

  test('two processes share a cache on rediss://:password@host; a wrong password is a BACKEND error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memoflow-tls-'));
    const tls = makeCertificates(dir);
    const server = await startRedisServer({ password: 'a password', tls });
    const fixture = fileURLToPath(new URL('./fixtures/shared-square.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    // The test's own certificate authority, as a deployment would install it.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: tls.ca };
    const runProcess = (url: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ['--conditions=memoflow-source', '--import', tsx, fixture, url, 'tls:', '1', '5'],
          {
            encoding: 'utf8',
            env,
          },
        ),
      );
    try {
      expect(server.url).toMatch(/^rediss:\/\/:a%20password@127\.0\.0\.1:\d+$/);
      expect(runProcess(server.url)).toEqual({ hits: 0, misses: 5, wrong: [] });
      expect(runProcess(server.url)).toEqual({ hits: 5, misses: 0, wrong: [] });
      const wrong = new RedisCache({
        url: server.url.replace('a%20password', 'wrong'),
        timeout: 500,
        onWarning: () => {},
      });
      expect(wrong.location).not.toContain('wrong');
      await expect(wrong.info()).rejects.toMatchObject({ code: 'BACKEND' });
      await wrong.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A RedisCache with a short `timeout` and `retryAfter`, and the warnings it gives. */
function watchedCache(url: string, timeout: number, retryAfter: number) {
  const warnings: string[] = [];
  const cache = new RedisCache({ url, timeout, retryAfter, onWarning: (line) => warnings.push(line) });
  return { cache, warnings };
}

describe('RedisCache when its server goes away', () => {
  test('a run completes by computing while Redis is down, with one warning, and uses Redis again once it is back', async () => {
    const server = await startRedisServer();
    const { cache, warnings } = watchedCache(server.url, 200, 100);
    computed.count = 0;
    const square = func({ cache }, async (x: number) => {
      computed.count++;
      return x * x;
    });
    try {
      for (let x = 0; x < 10; x++) expect(await square(x)).toBe(x * x);
      expect(computed.count).toBe(10);
      await server.stop();
      // Down: every call computes (hits are impossible), none fails, and one warning says why.
      for (let x = 0; x < 30; x++) expect(await square(x)).toBe(x * x);
      expect(computed.count).toBe(40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/unreachable/);
      // Back (empty: it keeps nothing on disk): stores work again, then hits.
      await server.start();
      // The client reconnects in the background; the breaker lets a call through every 100 ms.
      for (let attempt = 0; attempt < 100; attempt++) {
        await cache.setBlob(key(999), Buffer.from('probe'), { node: 'probe' });
        if (await cache.has(key(999))) break;
        await sleep(50);
      }
      await square(100);
      await square(100);
      expect(computed.count).toBe(41);
      expect(warnings.at(-1)).toMatch(/answers again/);
      expect(warnings).toHaveLength(2);
    } finally {
      await cache.close();
      await server.stop();
    }
  });

  test('a server that hangs (SIGSTOP): one call waits out the timeout, the next ones do not wait at all', async () => {
    const server = await startRedisServer();
    const { cache, warnings } = watchedCache(server.url, 500, 60_000);
    try {
      await cache.setBlob(key(1), Buffer.from('x'), { node: 'n' });
      process.kill(server.pid!, 'SIGSTOP');
      expect(await cache.getBlob(key(1))).toBeUndefined();
      expect(warnings).toEqual([expect.stringMatching(/no answer within 500 ms/)]);
      const start = performance.now();
      for (let i = 0; i < 20; i++) expect(await cache.getBlob(key(1))).toBeUndefined();
      // Twenty misses in less time than one timeout: the breaker answered them without the server.
      expect(performance.now() - start).toBeLessThan(500);
    } finally {
      if (server.pid) process.kill(server.pid, 'SIGCONT');
      await cache.close();
      await server.stop();
    }
  });

  test('a server that is not there at start: misses without waiting on it, and management says so with a BACKEND error', async () => {
    const server = await startRedisServer();
    await server.stop();
    const { cache, warnings } = watchedCache(server.url, 200, 60_000);
    try {
      expect(await cache.getBlob(key(1))).toBeUndefined();
      await cache.setBlob(key(1), Buffer.from('x'), { node: 'n' });
      expect(await cache.getMany([key(1), key(2)])).toEqual([undefined, undefined]);
      expect(warnings).toHaveLength(1);
      await expect(cache.info()).rejects.toMatchObject({
        code: 'BACKEND',
        message: expect.stringContaining(server.url),
      });
    } finally {
      await cache.close();
    }
  });
});
