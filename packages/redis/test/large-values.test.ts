/**
 * Large values against private redis-servers: one that takes seconds to move over a slow link
 * (a throttling proxy in a child process) is read and written by a healthy server, not taken
 * for an outage; one over the server's proto-max-bulk-len is not sent (the server would drop the
 * connection), with one warning, and the call still returns it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { func } from '@memoflow/core';
import { freePort, redisAnswers, startRedisServer } from '@memoflow/test-utils';
import { createClient } from 'redis';
import { expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
const MB = 1024 * 1024;
/** How often a memoized function really ran. Module-level: a memoized function may read it. */
const computed = { count: 0 };

/** A throttling proxy to `port` in a child process, at `bytesPerSecond` each way. */
async function startProxy(
  port: number,
  bytesPerSecond: number,
): Promise<{ url: string; child: ChildProcess }> {
  const fixture = fileURLToPath(new URL('./fixtures/throttle-proxy.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, fixture, String(port), String(bytesPerSecond)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `redis://127.0.0.1:${line.toString().trim()}`, child };
}

/** A RedisCache and the warnings it gave. */
function watched(url: string) {
  const warnings: string[] = [];
  return { cache: new RedisCache({ url, onWarning: (line) => warnings.push(line) }), warnings };
}

test('a 256 MB value over a 64 MB/s link (4 s each way, past the 1 s timeout) is written and read back, with no outage', async () => {
  const server = await startRedisServer();
  const proxy = await startProxy(server.port, 64 * MB);
  const { cache, warnings } = watched(proxy.url);
  try {
    const value = Buffer.alloc(256 * MB, 'memoflow large value ');
    await cache.setBlob(key(1), value, { node: 'large' });
    const back = await cache.getBlob(key(1));
    expect(back?.length).toBe(value.length);
    expect(Buffer.from(back!.buffer, back!.byteOffset, back!.length).equals(value)).toBe(true);
    expect(warnings).toEqual([]);
    expect((await cache.info()).outages).toBe(0);
  } finally {
    await cache.close();
    proxy.child.kill();
    await server.stop();
  }
});

test('a value over the server’s proto-max-bulk-len is not stored: one warning, no outage, and the call returns it', async () => {
  const server = await startRedisServer();
  const admin = createClient({ url: server.url });
  await admin.connect();
  await admin.configSet('proto-max-bulk-len', String(MB));
  const { cache, warnings } = watched(server.url);
  computed.count = 0;
  const bigBlock = func({ cache }, async function bigBlock(bytes: number) {
    computed.count++;
    return new Uint8Array(bytes).fill(7);
  });
  try {
    for (let i = 0; i < 2; i++) expect((await bigBlock(2 * MB)).length).toBe(2 * MB);
    expect(computed.count).toBe(2);
    expect(warnings).toEqual([
      expect.stringMatching(
        /value of node `bigBlock` is \d+ bytes stored, over the limit .*proto-max-bulk-len, 1048576 bytes/,
      ),
    ]);
    // The connection was never dropped: a small value is stored and read at once.
    expect((await bigBlock(1_000)).length).toBe(1_000);
    expect((await bigBlock(1_000)).length).toBe(1_000);
    expect(computed.count).toBe(3);
    expect((await cache.info()).outages).toBe(0);
  } finally {
    await cache.close();
    admin.destroy();
    await server.stop();
  }
});

test('where CONFIG is not allowed, the default limit (512 MB) is assumed: a 513 MB value is not sent', async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--rename-command',
      'CONFIG',
      '',
    ],
    { stdio: 'ignore' },
  );
  const { cache, warnings } = watched(url);
  try {
    while (!(await redisAnswers(url, 200))) await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.setBlob(key(1), new Uint8Array(513 * MB), { node: 'huge' });
    expect(warnings).toEqual([expect.stringContaining('proto-max-bulk-len, 536870912 bytes')]);
    expect(await cache.has(key(1))).toBe(false);
    expect((await cache.info()).outages).toBe(0);
  } finally {
    await cache.close();
    server.kill('SIGKILL');
  }
});
