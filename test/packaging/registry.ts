/**
 * A private npm registry (verdaccio) on 127.0.0.1 in a temporary folder: packages published to it
 * install as from the public registry, which it proxies for everything else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, userEnv } from './commands.ts';

const verdaccioBin = createRequire(import.meta.url).resolve('verdaccio/bin/verdaccio');

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** An npmrc naming this registry and a token that may publish to it, for `--userconfig`. */
  userconfig: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Starts verdaccio on a free port; `@memoflow/*` comes only from what is published to it. */
export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-registry-'));
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (server) await stopGroup(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const uplink = (await run('npm', ['config', 'get', 'registry'], { cwd: dir })).stdout.trim();
    const config = {
      storage: join(dir, 'storage'),
      auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 1 } },
      uplinks: { public: { url: uplink, timeout: '60s' } },
      packages: {
        '@memoflow/*': { access: '$all', publish: '$authenticated' },
        '**': { access: '$all', publish: '$authenticated', proxy: 'public' },
      },
      log: { type: 'stdout', format: 'pretty', level: 'warn' },
    };
    // JSON is YAML, which verdaccio reads.
    writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    server = spawn(
      process.execPath,
      [verdaccioBin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
      { cwd: dir, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    server.stdout?.on('data', (chunk) => (log += chunk));
    server.stderr?.on('data', (chunk) => (log += chunk));
    await waitUntilServing(url, server, () => log);
    const token = await addUser(url);
    const userconfig = join(dir, 'npmrc');
    writeFileSync(userconfig, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    return { url, userconfig, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (server.exitCode !== null) throw new Error(`verdaccio exited (${server.exitCode}):\n${log()}`);
    const ping = await fetch(`${url}-/ping`).catch(() => undefined);
    if (ping?.ok) return;
    await sleep(100);
  }
  throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${log()}`);
}

/** Creates the registry's one user, as `npm adduser` does, and returns its token. */
async function addUser(url: string): Promise<string> {
  const name = 'publisher';
  const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'publisher-password' }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token)
    throw new Error(`verdaccio refused the user (${response.status}): ${JSON.stringify(body)}`);
  return body.token;
}

/** SIGTERM to the server's process group, SIGKILL if it is still there after 5 s. */
async function stopGroup(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(-server.pid!, 'SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!stopped) {
    process.kill(-server.pid!, 'SIGKILL');
    await exited;
  }
}
