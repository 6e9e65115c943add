/**
 * Redis for the tests of backends that use it: the shared server (`MEMOFLOW_TEST_REDIS_URL`,
 * default `redis://127.0.0.1:6379`), and private `redis-server` processes for tests that stop
 * their server. Outside CI, with no Redis answering, Redis tests skip with a visible message;
 * with `CI=true` they fail instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { describe, test } from 'vitest';

/** The Redis the tests share. Each test uses its own key prefix and removes its keys. */
export const TEST_REDIS_URL = process.env.MEMOFLOW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Whether a Redis server answers PING at `url` within `timeoutMs` (a server that wants a password
 * answers too: NOAUTH). `ca`: the certificate authority of a `rediss://` server.
 */
export function redisAnswers(url: string, timeoutMs = 1_000, ca?: string): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  const address = { host: hostname || '127.0.0.1', port: Number(port || 6379) };
  return new Promise((resolve) => {
    const socket = protocol === 'rediss:' ? tls.connect({ ...address, ca }) : net.connect(address);
    let reply = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on(protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

const sharedAnswers = await redisAnswers(TEST_REDIS_URL);

/**
 * `describe(name, body)` when the shared Redis answers. When it does not: with `CI=true`, one
 * failing test saying so; otherwise the block is skipped, with a message on stderr.
 */
export function describeWithRedis(name: string, body: (url: string) => void): void {
  if (sharedAnswers) {
    describe(name, () => body(TEST_REDIS_URL));
    return;
  }
  if (inCi) {
    describe(name, () => {
      test('Redis answers', () => {
        throw new Error(
          `No Redis answers at ${TEST_REDIS_URL}, and CI=true requires one. Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
        );
      });
    });
    return;
  }
  process.stderr.write(`[memoflow] skipping "${name}": no Redis answers at ${TEST_REDIS_URL}\n`);
  describe.skip(name, () => body(TEST_REDIS_URL));
}

/** A key prefix no other test uses. */
export const testPrefix = (scope: string): string =>
  `memoflow-test:${scope}:${randomBytes(4).toString('hex')}:`;

/** A free TCP port on the loopback interface (free when asked: a server started at once gets it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A `redis-server` of a test's own, on a loopback port, that the test may stop and start again. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** Stops the server by its pid (SIGKILL: it goes at once, as a crashed server would). */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
}

/** How a private server is set up: a password, and TLS (PEM file paths). */
export interface PrivateRedisOptions {
  password?: string;
  tls?: { cert: string; key: string; ca: string };
}

/** Starts a private `redis-server` (no persistence) on a free loopback port; resolves once it answers. */
export async function startRedisServer(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const scheme = options.tls ? 'rediss' : 'redis';
  const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const url = `${scheme}://${credentials}127.0.0.1:${port}`;
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  if (options.password) args.push('--requirepass', options.password);
  if (options.tls) {
    const { cert, key, ca } = options.tls;
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key);
    args.push('--tls-ca-cert-file', ca, '--tls-auth-clients', 'no');
  } else args.push('--port', String(port));
  const ca = options.tls ? readFileSync(options.tls.ca, 'utf8') : undefined;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => {
      child!.once('error', (error) => reject(new Error(`Cannot start redis-server: ${error.message}`)));
    });
    failed.catch(() => {});
    for (let waited = 0; ; waited += 20) {
      if (await Promise.race([redisAnswers(url, 200, ca), failed])) return;
      if (waited > 5_000) throw new Error(`redis-server on port ${port} did not answer within 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
  };
}
