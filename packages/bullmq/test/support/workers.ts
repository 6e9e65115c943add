/** Worker processes for the tests: real `node` processes running fixtures/worker.ts, their job events collected. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface JobEvent {
  type: 'ready' | 'started' | 'completed' | 'failed';
  node?: string;
  items?: number[];
  key?: string;
  pid?: number;
  /** When the line was read here (performance.now()). */
  at: number;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly events: JobEvent[];
  /** Resolves with the first event (seen or to come) that `match` accepts. */
  next(match: (event: JobEvent) => boolean, timeoutMs?: number): Promise<JobEvent>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts a worker process on `queue` with the pipeline `module` exports as `exportName`; resolves once it takes jobs. */
export async function startWorkerProcess(options: {
  module: string;
  url: string;
  queue: string;
  prefix: string;
  exportName?: string;
  /** The job lock (ms), or `default` for startWorker's own. @default 1000 */
  lockDuration?: number | 'default';
}): Promise<WorkerProcess> {
  const args = ['--conditions=memoflow-source', '--import', tsx, fixture('worker.ts')];
  args.push(options.module, options.url, options.queue, options.prefix, options.exportName ?? 'pipeline');
  args.push(String(options.lockDuration ?? 1_000));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: JobEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout!.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    const at = performance.now();
    for (const line of lines) if (line.trim()) events.push({ ...(JSON.parse(line) as JobEvent), at });
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = (match: (event: JobEvent) => boolean, timeoutMs = 20_000) =>
    new Promise<JobEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(match);
        if (!found) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`worker ${child.pid}: no such event within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => {
        if (listeners.has(check)) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`worker ${child.pid} exited; stderr: ${stderr}`));
        }
      });
      check();
    });
  try {
    // Start-up loads the pipeline through tsx: a minute at most on a busy machine.
    await next((event) => event.type === 'ready', 60_000);
  } catch (error) {
    // Never left behind: no test holds this process yet to stop it.
    child.kill('SIGKILL');
    throw error;
  }
  return { child, events, next, exited };
}

/** Kills worker processes that are still running and waits for them to exit. */
export async function stopAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const worker of workers)
    if (worker.child.exitCode === null && !worker.child.killed) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}
