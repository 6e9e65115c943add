/**
 * Keeps the locks of a worker's jobs alive from a thread of its own. BullMQ renews a job's lock
 * from the worker's event loop, which a node computing synchronously holds for as long as it
 * runs: past `lockDuration` the job would count as stalled and run again on another worker (and
 * fail the run once it stalled too often). The keeper's thread loads BullMQ itself and calls its
 * public `Job#extendLock` (the lock's token checked, its expiry pushed back, the job taken off the
 * stalled set: BullMQ's own script and keys, whatever its version) on a connection of its own,
 * whatever the main thread is doing. It dies with its process, so the jobs of a killed worker
 * still stall and run again elsewhere.
 */
import { createRequire } from 'node:module';
import { Worker as Thread } from 'node:worker_threads';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

/** The thread: plain CommonJS, so that it runs the same from source and from a build. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { Job, Queue } = require(workerData.bullmq);
const { name, connection, prefix, lockDuration, every } = workerData;
// skipMetasUpdate: the queue's settings (its event stream's length) stay the coordinators'.
const queue = new Queue(name, { connection, ...(prefix ? { prefix } : {}), skipMetasUpdate: true });
queue.on('error', () => {});
const held = new Map();
const renew = () => {
  for (const [id, { job, token }] of held)
    job.extendLock(token, lockDuration).then(
      // 0: the lock is gone or another worker's; a failed call is tried again next time.
      (kept) => { if (kept === 0 && held.get(id)?.token === token) held.delete(id); },
      () => {},
    );
};
const timer = setInterval(renew, every);
queue.waitUntilReady().then(() => parentPort.postMessage('ready'), () => {});
parentPort.on('message', (message) => {
  if (message.op === 'hold') held.set(message.id, { job: new Job(queue, 'lock', null, {}, message.id), token: message.token });
  else if (message.op === 'release') held.delete(message.id);
  else {
    clearInterval(timer);
    held.clear();
    setTimeout(() => process.exit(0), 1000).unref();
    queue.close().finally(() => parentPort.close());
  }
});
`;

export interface LockKeeperOptions {
  connection: ConnectionOptions;
  queue: string;
  prefix: string | undefined;
  lockDuration: number;
}

export class LockKeeper {
  readonly #thread: Thread;
  readonly #exited: Promise<unknown>;
  /** Resolves once the thread's queue is connected; rejects if the thread fails to start. */
  readonly ready: Promise<void>;

  constructor(options: LockKeeperOptions) {
    this.#thread = new Thread(THREAD, {
      eval: true,
      workerData: {
        bullmq: createRequire(import.meta.url).resolve('bullmq'),
        name: options.queue,
        connection: plainConnection(options.connection),
        ...(options.prefix ? { prefix: options.prefix } : {}),
        lockDuration: options.lockDuration,
        // Twice as often as BullMQ's own renewal: the lock never comes near expiring.
        every: Math.max(50, Math.floor(options.lockDuration / 4)),
      },
    });
    this.#thread.unref();
    this.#exited = new Promise((resolve) => this.#thread.once('exit', resolve));
    this.ready = new Promise((resolve, reject) => {
      this.#thread.once('message', () => resolve());
      this.#thread.once('error', reject);
      this.#thread.once('exit', (code) => reject(new Error(`the lock keeper's thread exited (${code})`)));
    });
    // Seen by startWorker through `ready`; none goes unhandled meanwhile.
    this.ready.catch(() => {});
  }

  hold(id: string, token: string): void {
    this.#thread.postMessage({ op: 'hold', id, token });
  }

  release(id: string): void {
    this.#thread.postMessage({ op: 'release', id });
  }

  async stop(): Promise<void> {
    // Waited for: an unreferenced thread would let the process end mid-close.
    this.#thread.ref();
    this.#thread.postMessage({ op: 'stop' });
    await this.#exited;
  }
}

/** What a thread can be given of a connection: its URL and the plain fields of its options. */
function plainConnection(connection: ConnectionOptions): Record<string, unknown> {
  const source = (connection instanceof Redis ? connection.options : connection) as Record<string, unknown>;
  const plain: Record<string, unknown> = { maxRetriesPerRequest: null };
  for (const field of ['url', 'host', 'port', 'username', 'password', 'db', 'family', 'tls'])
    if (source[field] !== undefined && typeof source[field] !== 'function') plain[field] = source[field];
  return plain;
}
