/**
 * Keeps the locks of a worker's jobs alive from a thread of its own. BullMQ renews a job's lock
 * from the worker's event loop, which a node computing synchronously holds for as long as it
 * runs: past `lockDuration` the job would count as stalled and run again on another worker (and
 * fail the run once it stalled twice). The keeper's thread runs BullMQ's own extend-lock step
 * (the lock's token checked, its expiry pushed back, the job taken off the stalled set) on a
 * connection of its own, whatever the main thread is doing. It dies with its process, so the
 * jobs of a killed worker still stall and run again elsewhere.
 */
import { createRequire } from 'node:module';
import { Worker as Thread } from 'node:worker_threads';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

/** BullMQ's extendLock-2.lua: the same keys and arguments. */
const EXTEND = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  redis.call("SREM", KEYS[2], ARGV[3])
  return 1
end
return 0`;

/** The thread: plain CommonJS, so that it runs the same from source and from a build. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Redis = require(workerData.ioredis);
const { url, options, lockDuration, every, script } = workerData;
const redis = url ? new Redis(url, options) : new Redis(options);
redis.on('error', () => {});
const held = new Map();
const timer = setInterval(() => {
  for (const job of held.values())
    redis.eval(script, 2, job.lock, job.stalled, job.token, lockDuration, job.id).catch(() => {});
}, every);
parentPort.on('message', (message) => {
  if (message.op === 'hold') held.set(message.job.lock, message.job);
  else if (message.op === 'release') held.delete(message.lock);
  else {
    clearInterval(timer);
    redis.disconnect();
    parentPort.close();
  }
});
`;

export interface HeldJob {
  id: string;
  /** The job's lock key and the queue's stalled set. */
  lock: string;
  stalled: string;
  token: string;
}

export class LockKeeper {
  readonly #thread: Thread;

  constructor(connection: ConnectionOptions, lockDuration: number) {
    const { url, options } = plainConnection(connection);
    this.#thread = new Thread(THREAD, {
      eval: true,
      workerData: {
        ioredis: createRequire(import.meta.url).resolve('ioredis'),
        url,
        options,
        lockDuration,
        // Twice as often as BullMQ's own renewal: the lock never comes near expiring.
        every: Math.max(50, Math.floor(lockDuration / 4)),
        script: EXTEND,
      },
    });
    this.#thread.unref();
  }

  hold(job: HeldJob): void {
    this.#thread.postMessage({ op: 'hold', job });
  }

  release(lock: string): void {
    this.#thread.postMessage({ op: 'release', lock });
  }

  async stop(): Promise<void> {
    // Waited for: an unreferenced thread would let the process end mid-close.
    this.#thread.ref();
    this.#thread.postMessage({ op: 'stop' });
    await new Promise((resolve) => this.#thread.once('exit', resolve));
  }
}

/** What a thread can be given of a connection: its URL, or the plain fields of its options. */
function plainConnection(connection: ConnectionOptions): { url?: string; options: Record<string, unknown> } {
  const source = (connection instanceof Redis ? connection.options : connection) as Record<string, unknown>;
  const options: Record<string, unknown> = { maxRetriesPerRequest: null };
  for (const field of ['host', 'port', 'username', 'password', 'db', 'family', 'tls'])
    if (source[field] !== undefined && typeof source[field] !== 'function') options[field] = source[field];
  return typeof source.url === 'string' ? { url: source.url, options } : { options };
}
