/**
 * Distributed runs: a Runner whose misses run on BullMQ worker processes
 * (packages/bullmq/test/fixtures/worker.ts, concurrency 1 each, on the pipelines of
 * _distributed-pipeline.ts), against the same Runner computing locally, all on the Redis at
 * 127.0.0.1:6379 (or MEMOFLOW_BENCH_REDIS_URL). Goals:
 * - a fan-out of 32 CPU-bound nodes (≈200 ms of synchronous JS each): 2 workers ≤ 0.6x 1 worker;
 * - dispatch overhead ≤ 5 ms per node: trivial nodes on 1 worker against the same run locally,
 *   (distributed − local) / nodes, for a chain (one dispatch after another) and a fan-out;
 * - a 10,000-item map (cached item by item, trivial items; the executor's default batches: 100 jobs
 *   of 100 items) on the workers < 2 s over the local run;
 *   for comparison, the same items as 100 tasks of 100 (a map over chunks);
 * - a worker killed mid-job (SIGKILL) at startWorker's default lock, 12 nodes of 300 ms on 2
 *   workers: the killed job runs on the other worker < 15 s after the kill (the time from the
 *   kill to its completion there, and to the run's end; the same run without a kill beside it).
 *
 * MEMOFLOW_BENCH_CASES picks cases (comma-separated: cpu, trivial, map, kill; default all).
 * Every timed run misses everything: each repetition of a case has a cache prefix and a queue
 * of its own, and fresh worker processes. Before the timed run, one untimed run with other
 * inputs (all misses too) opens the connections and warms up the code in every process; the
 * trivial cases, short and noisy, time five runs of other inputs and keep the median one.
 * Medians over MEMOFLOW_BENCH_RUNS repetitions (default 3), the cases interleaved per
 * repetition. Alongside the times: the span of a chain's node in the worker and between nodes
 * (from the workers' job lines), and the CPU the workers, this process and the whole machine
 * used (Linux /proc). What the bench makes in Redis is removed (cache prefixes, queues) and its
 * workers are stopped before the table is printed, and when it fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BullMQExecutor } from '@memoflow/bullmq';
import { MemoryCache, type Pipeline, Runner, type RunReport } from '@memoflow/core';
import { RedisCache } from '@memoflow/redis';
// The workers load this module by path too: the coordinator derives the same keys from the same code.
import { fanOut12 } from '../packages/bullmq/test/fixtures/pipeline.ts';
import {
  bigMap,
  burn,
  CPU_NODES,
  chunkedMap,
  cpuFanOut,
  TRIVIAL_NODES,
  trivialChain,
  trivialFanOut,
} from './_distributed-pipeline.ts';
import { median } from './_harness.ts';

const url = process.env.MEMOFLOW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runs = Number(process.env.MEMOFLOW_BENCH_RUNS ?? 3);
const cases = new Set((process.env.MEMOFLOW_BENCH_CASES ?? 'cpu,trivial,map,kill').split(','));
const MAP_ITEMS = 10_000;
/** Items per task in the chunked variant of the map. */
const CHUNK = 100;
const tag = randomBytes(4).toString('hex');

// bullmq is a dependency of @memoflow/bullmq, not of the bench: found from there, for `obliterate`.
interface QueueHandle {
  obliterate(options: { force: boolean }): Promise<void>;
  close(): Promise<void>;
}
const bullmqPath = createRequire(fileURLToPath(import.meta.resolve('@memoflow/bullmq'))).resolve('bullmq');
const { Queue } = (await import(pathToFileURL(bullmqPath).href)) as {
  Queue: new (name: string, options: { connection: { url: string } }) => QueueHandle;
};
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const workerScript = fileURLToPath(new URL('../packages/bullmq/test/fixtures/worker.ts', import.meta.url));
const pipelineModule = fileURLToPath(new URL('./_distributed-pipeline.ts', import.meta.url));
const fixturePipelines = fileURLToPath(
  new URL('../packages/bullmq/test/fixtures/pipeline.ts', import.meta.url),
);

/** The pipelines by export name: a worker process loads the same export of the same module. */
const pipelines = { cpuFanOut, trivialChain, trivialFanOut, bigMap, chunkedMap };
type PipelineName = keyof typeof pipelines;

// ---------------------------------------------------------------------------------------------
// Worker processes, queues and cache prefixes: each tracked until removed.

interface JobEvent {
  type: 'ready' | 'started' | 'completed' | 'failed';
  node?: string;
  key?: string;
  item?: number;
  /** When the coordinator read the line (performance.now()). */
  at: number;
}

interface WorkerProcess {
  child: ChildProcess;
  events: JobEvent[];
  exited: Promise<void>;
}

const liveWorkers = new Set<WorkerProcess>();
const queuesMade = new Set<string>();
const prefixesMade = new Set<string>();
let sequence = 0;

function freshNames(): { queue: string; prefix: string } {
  sequence++;
  const names = { queue: `memoflow-bench-${tag}-${sequence}`, prefix: `memoflow-bench:${tag}:${sequence}:` };
  queuesMade.add(names.queue);
  prefixesMade.add(names.prefix);
  return names;
}

/**
 * Starts fixtures/worker.ts on `queue` with the export `exportName` of _distributed-pipeline.ts
 * (or of `module`), its lock the fixture's 1 s (or startWorker's default); resolves once it takes jobs.
 */
function startWorkerProcess(
  exportName: string,
  queue: string,
  prefix: string,
  module = pipelineModule,
  lock: 'fixture' | 'default' = 'fixture',
): Promise<WorkerProcess> {
  const args = ['--conditions=memoflow-source', '--import', tsx, workerScript, module, url, queue, prefix];
  args.push(exportName, ...(lock === 'default' ? ['default'] : []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: WorkerProcess = { child, events: [], exited };
  liveWorkers.add(worker);
  void exited.then(() => liveWorkers.delete(worker));
  let stderr = '';
  let buffered = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${child.pid} not ready in 30 s: ${stderr}`)),
      30_000,
    );
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout!.on('data', (chunk) => {
      const at = performance.now();
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.trim()) continue;
        const event = { ...(JSON.parse(line) as Omit<JobEvent, 'at'>), at };
        if (event.type === 'ready') {
          clearTimeout(timer);
          resolve(worker);
        } else worker.events.push(event);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker ${child.pid} exited before it was ready: ${stderr}`));
    });
  });
}

/** SIGTERM (the worker closes), then SIGKILL for one that has not exited within 5 s. */
async function stopWorkers(workers: Iterable<WorkerProcess>): Promise<void> {
  await Promise.all(
    [...workers].map(async (worker) => {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
      worker.child.kill('SIGTERM');
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
      await worker.exited;
      clearTimeout(timer);
    }),
  );
}

/** Removes the queues and cache prefixes this bench made. */
async function removeAll(): Promise<void> {
  for (const name of queuesMade) {
    const queue = new Queue(name, { connection: { url } });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
  queuesMade.clear();
  for (const prefix of prefixesMade) {
    const cache = new RedisCache({ url, prefix });
    await cache.clear();
    await cache.close();
  }
  prefixesMade.clear();
}

// A worker must not outlive the bench, whatever ends it.
process.once('exit', () => {
  for (const worker of liveWorkers) worker.child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopWorkers(liveWorkers)
      .then(removeAll)
      .finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// One repetition of a case: fresh names, warm-up run, timed run.

interface Timed {
  ms: number;
  /** CPU the worker processes used during the timed run, and what the whole machine used (ms of CPU; Linux only). */
  cpu?: { workersMs: number; coordinatorMs: number; machineMs: number };
  report: RunReport;
  /** Job events of every worker, in the order the coordinator read them. */
  events: JobEvent[];
  /** When the timed run started and ended (performance.now()). */
  from: number;
  to: number;
}

type Inputs = Record<string, unknown>;

async function timeRun(runner: Runner, pipeline: Pipeline, inputs: Inputs): Promise<Omit<Timed, 'events'>> {
  const from = performance.now();
  const { report } = await runner.run(pipeline, inputs);
  const to = performance.now();
  const hits = report.nodes.filter((node) => node.status !== 'miss' || (node.items?.hits ?? 0) > 0);
  if (hits.length > 0)
    throw new Error(`a timed run must miss everything: ${hits.map((node) => node.node).join(', ')} did not`);
  return { ms: to - from, report, from, to };
}

/** Of several timed runs, the one of median time. */
function medianRun(timed: Timed[]): Timed {
  return [...timed].sort((a, b) => a.ms - b.ms)[(timed.length - 1) >> 1]!;
}

/**
 * The pipeline run here, on a RedisCache of a fresh prefix (or on a MemoryCache): a warm-up,
 * then one timed run per entry of `inputs` (the median one is returned).
 */
async function local(
  name: PipelineName,
  warmUp: Inputs,
  inputs: readonly Inputs[],
  backend: 'redis' | 'memory' = 'redis',
): Promise<Timed> {
  const pipeline = pipelines[name];
  const cache =
    backend === 'memory'
      ? new MemoryCache({ maxEntries: 1_000_000 })
      : new RedisCache({ url, prefix: freshNames().prefix });
  try {
    const runner = new Runner({ cache: { backend: cache } });
    await runner.run(pipeline, warmUp);
    const timed: Timed[] = [];
    for (const each of inputs) timed.push({ ...(await timeRun(runner, pipeline, each)), events: [] });
    return medianRun(timed);
  } finally {
    if (cache instanceof RedisCache) {
      await cache.clear();
      await cache.close();
    }
  }
}

/**
 * The pipeline run on `workers` fresh worker processes, on a fresh queue and cache prefix: a
 * warm-up, then one timed run per entry of `inputs` (the median one is returned).
 */
async function distributed(
  name: PipelineName,
  workers: number,
  warmUp: Inputs,
  inputs: readonly Inputs[],
): Promise<Timed> {
  const pipeline = pipelines[name];
  const { queue, prefix } = freshNames();
  const started: WorkerProcess[] = [];
  const cache = new RedisCache({ url, prefix });
  const executor = new BullMQExecutor({ connection: { url }, queue });
  try {
    const starting = Array.from({ length: workers }, () => startWorkerProcess(name, queue, prefix));
    for (const worker of await Promise.allSettled(starting))
      if (worker.status === 'fulfilled') started.push(worker.value);
      else throw worker.reason;
    const runner = new Runner({ executor, cache: { backend: cache } });
    await runner.run(pipeline, warmUp);
    const timed: Timed[] = [];
    for (const each of inputs) {
      for (const worker of started) worker.events.length = 0;
      const before = cpuSample(started);
      const run = await timeRun(runner, pipeline, each);
      const cpu = cpuSince(before, started);
      // Job lines still in the pipes are read before the next run.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const events = started.flatMap((worker) => worker.events).sort((a, b) => a.at - b.at);
      timed.push({ ...run, events, ...(cpu ? { cpu } : {}) });
    }
    return medianRun(timed);
  } finally {
    await executor.close();
    await stopWorkers(started);
    await cache.clear();
    await cache.close();
  }
}

// ---------------------------------------------------------------------------------------------
// A worker killed mid-job, at startWorker's default lock.

const KILL_SLOW_MS = 300;

interface Recovery {
  /** The same pipeline on the same workers, no kill. */
  unkilledMs: number;
  /** The run whose worker was killed, from its start. */
  killedMs: number;
  /** From the kill to the killed job's completion on the other worker, and to the run's end. */
  toRerunMs: number;
  toEndMs: number;
}

/** The first worker to report a job started, and that job. */
function firstStart(workers: WorkerProcess[]): { worker: WorkerProcess; event: JobEvent } | undefined {
  const starts = workers.flatMap((worker) =>
    worker.events.filter((event) => event.type === 'started').map((event) => ({ worker, event })),
  );
  return starts.sort((a, b) => a.event.at - b.event.at)[0];
}

/**
 * 12 nodes of 300 ms (the tests' fanOut12) on 2 fresh workers at the default lock: a warm-up,
 * a run as it is, then a run whose first job's worker is SIGKILLed as soon as it says it started.
 */
async function killedMidJob(seed: number): Promise<Recovery> {
  const { queue, prefix } = freshNames();
  const started: WorkerProcess[] = [];
  const cache = new RedisCache({ url, prefix });
  const executor = new BullMQExecutor({ connection: { url }, queue });
  try {
    const starting = [0, 1].map(() =>
      startWorkerProcess('fanOut12', queue, prefix, fixturePipelines, 'default'),
    );
    for (const worker of await Promise.allSettled(starting))
      if (worker.status === 'fulfilled') started.push(worker.value);
      else throw worker.reason;
    const runner = new Runner({ executor, cache: { backend: cache } });
    await runner.run(fanOut12, { seed: seed + 100_000, slowMs: 0 });
    const unkilled = await timeRun(runner, fanOut12, { seed, slowMs: KILL_SLOW_MS });
    for (const worker of started) worker.events.length = 0;
    const running = timeRun(runner, fanOut12, { seed: seed + 1, slowMs: KILL_SLOW_MS });
    let first = firstStart(started);
    while (!first) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      first = firstStart(started);
    }
    first.worker.child.kill('SIGKILL');
    const killedAt = performance.now();
    const killed = await running;
    // Job lines still in the pipes are read before they are looked at.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const other = started.find((worker) => worker !== first.worker)!;
    const rerun = other.events.find((event) => event.type === 'completed' && event.key === first.event.key);
    if (!rerun) throw new Error(`the killed job ${first.event.node} did not complete on the other worker`);
    return {
      unkilledMs: unkilled.ms,
      killedMs: killed.ms,
      toRerunMs: rerun.at - killedAt,
      toEndMs: killed.to - killedAt,
    };
  } finally {
    await executor.close();
    await stopWorkers(started);
    await cache.clear();
    await cache.close();
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux): the workers' from /proc/<pid>/stat, the machine's from /proc/stat.

const TICK_MS = 10; // USER_HZ = 100 on Linux

function procTicks(path: string, fields: number[]): number {
  const text = readFileSync(path, 'utf8');
  const values =
    path === '/proc/stat'
      ? text.split('\n')[0]!.trim().split(/\s+/).slice(1)
      : text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields.reduce((sum, field) => sum + Number(values[field]), 0);
}

interface CpuSample {
  workers: number;
  coordinator: NodeJS.CpuUsage;
  machine: number;
}

function cpuSample(workers: WorkerProcess[]): CpuSample | undefined {
  try {
    return {
      // utime, stime (fields 14 and 15 of /proc/<pid>/stat, counted from the state field)
      workers: workers.reduce(
        (sum, worker) => sum + procTicks(`/proc/${worker.child.pid}/stat`, [11, 12]),
        0,
      ),
      coordinator: process.cpuUsage(),
      // user, nice, system, irq, softirq, steal: everything but idle and iowait
      machine: procTicks('/proc/stat', [0, 1, 2, 5, 6, 7]),
    };
  } catch {
    return undefined;
  }
}

function cpuSince(before: CpuSample | undefined, workers: WorkerProcess[]): Timed['cpu'] {
  const after = before && cpuSample(workers);
  if (!before || !after) return undefined;
  const coordinator = process.cpuUsage(before.coordinator);
  return {
    workersMs: (after.workers - before.workers) * TICK_MS,
    coordinatorMs: (coordinator.user + coordinator.system) / 1_000,
    machineMs: (after.machine - before.machine) * TICK_MS,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures.

const fmt = (ms: number) =>
  ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
const range = (values: number[], unit = fmt) => `${unit(Math.min(...values))}–${unit(Math.max(...values))}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** How many workers computed the nodes of a report (its `worker` fields). */
function workersSeen(report: RunReport): number {
  return new Set(report.nodes.map((node) => node.worker).filter((worker) => worker !== undefined)).size;
}

/**
 * Where a chain's time goes on one worker, from the job events as the coordinator read them:
 * per node, `started` → `completed` (the worker's performTask: key check, lookup, compute,
 * store, `has`) and `completed` → the next `started` (job completion, the completion event,
 * read back, the next node's lookup and task, enqueue, pick-up).
 */
function chainSpans(events: JobEvent[]): { inWorker: number; between: number } {
  const inWorker: number[] = [];
  const between: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const next = events[i + 1];
    if (event.type === 'started' && next?.type === 'completed') inWorker.push(next.at - event.at);
    if (event.type === 'completed' && next?.type === 'started') between.push(next.at - event.at);
  }
  return { inWorker: median(inWorker), between: median(between) };
}

/** Rounds of busy computation that take ≈200 ms here. */
function calibrate(): number {
  burn(1, 1e7);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    burn(i, 2e7);
    samples.push(performance.now() - started);
  }
  return Math.round((2e7 * 200) / median(samples));
}

const results = new Map<string, number[]>();
const note = (name: string, value: number) => {
  const values = results.get(name) ?? [];
  values.push(value);
  results.set(name, values);
};
const med = (name: string) => median(results.get(name)!);
const all = (name: string) => results.get(name)!;

const n = TRIVIAL_NODES;

// Measure; then, with the workers gone and Redis cleaned up, print.
try {
  const rounds = calibrate();
  log(`distributed.bench: ${runs} runs; busy node = ${rounds.toExponential(2)} rounds (≈200 ms)`);

  for (let run = 0; run < runs; run++) {
    const seed = 1_000 + run * 10;
    const warm = seed + 100_000;
    log(`run ${run + 1}/${runs}`);

    // 1. The CPU-bound fan-out. Warm-up: the same 32 nodes with a few rounds (other keys).
    if (cases.has('cpu')) {
      const cpu = [{ seed: warm, rounds: 1_000 }, [{ seed, rounds }]] as const;
      const cpuLocal = await local('cpuFanOut', ...cpu);
      const cpuOne = await distributed('cpuFanOut', 1, ...cpu);
      const cpuTwo = await distributed('cpuFanOut', 2, ...cpu);
      note('cpu local', cpuLocal.ms);
      note('cpu 1 worker', cpuOne.ms);
      note('cpu 2 workers', cpuTwo.ms);
      note('cpu ratio', cpuTwo.ms / cpuOne.ms);
      note('cpu workers seen', workersSeen(cpuTwo.report));
      if (cpuTwo.cpu) {
        const { workersMs, coordinatorMs, machineMs } = cpuTwo.cpu;
        note('cpu 2 workers: worker CPU per node', workersMs / (CPU_NODES + 1));
        note('cpu 2 workers: wall per node', (cpuTwo.ms * 2) / (CPU_NODES + 1));
        note('cpu 2 workers: cores busy', machineMs / cpuTwo.ms);
        note('cpu 2 workers: cores for the rest', (machineMs - workersMs - coordinatorMs) / cpuTwo.ms);
      }
      log(
        `  cpu fan-out: local ${fmt(cpuLocal.ms)}, 1 worker ${fmt(cpuOne.ms)}, 2 workers ${fmt(cpuTwo.ms)} (${workersSeen(cpuTwo.report)} seen), ratio ${(cpuTwo.ms / cpuOne.ms).toFixed(3)}`,
      );
    }

    // 2. Dispatch overhead: 50 trivial nodes, a chain and a fan-out.
    if (cases.has('trivial')) {
      for (const name of ['trivialChain', 'trivialFanOut'] as const) {
        // Five timed runs of other seeds on the same workers (each misses everything): the median one.
        const args = [{ seed: warm }, [0, 1, 2, 3, 4].map((k) => ({ seed: seed + 1_000 * k }))] as const;
        const mem = await local(name, ...args, 'memory');
        const here = await local(name, ...args);
        const there = await distributed(name, 1, ...args);
        note(`${name} memory`, mem.ms);
        note(`${name} local`, here.ms);
        note(`${name} 1 worker`, there.ms);
        note(`${name} per node`, (there.ms - here.ms) / n);
        note(`${name} per node vs memory`, (there.ms - mem.ms) / n);
        if (name === 'trivialChain') {
          const spans = chainSpans(there.events);
          note('chain in worker', spans.inWorker);
          note('chain between', spans.between);
        }
        log(
          `  ${name}: MemoryCache ${fmt(mem.ms)}, local ${fmt(here.ms)}, 1 worker ${fmt(there.ms)}, per node ${fmt((there.ms - here.ms) / n)}`,
        );
      }
    }

    // 3. A map over 10,000 items, cached item by item (in the executor's default batches).
    if (cases.has('map')) {
      const map = [{ seed: warm, count: 100 }, [{ seed, count: MAP_ITEMS }]] as const;
      const mapMem = await local('bigMap', ...map, 'memory');
      const mapLocal = await local('bigMap', ...map);
      const mapTwo = await distributed('bigMap', 2, ...map);
      const mapOne = await distributed('bigMap', 1, ...map);
      // The same items as tasks of 100: a map over chunks (what batching items into tasks would give).
      const chunked = [
        { seed: warm, count: 100, size: 10 },
        [{ seed, count: MAP_ITEMS, size: CHUNK }],
      ] as const;
      const chunkLocal = await local('chunkedMap', ...chunked);
      const chunkTwo = await distributed('chunkedMap', 2, ...chunked);
      note('chunked local', chunkLocal.ms);
      note('chunked 2 workers', chunkTwo.ms);
      note('chunked overhead', chunkTwo.ms - chunkLocal.ms);
      note('map memory', mapMem.ms);
      note('map local', mapLocal.ms);
      note('map 2 workers', mapTwo.ms);
      note('map 1 worker', mapOne.ms);
      note('map overhead', mapTwo.ms - mapLocal.ms);
      note('map overhead 1 worker', mapOne.ms - mapLocal.ms);
      for (const [label, timed] of [
        ['map 2 workers', mapTwo],
        ['map 1 worker', mapOne],
      ] as const) {
        if (!timed.cpu) continue;
        const { workersMs, coordinatorMs, machineMs } = timed.cpu;
        note(`${label}: cores busy`, machineMs / timed.ms);
        note(`${label}: worker CPU per item`, workersMs / MAP_ITEMS);
        note(`${label}: coordinator CPU per item`, coordinatorMs / MAP_ITEMS);
        note(`${label}: rest CPU per item`, (machineMs - workersMs - coordinatorMs) / MAP_ITEMS);
      }
      log(
        `  map ${MAP_ITEMS}: MemoryCache ${fmt(mapMem.ms)}, local ${fmt(mapLocal.ms)}, 2 workers ${fmt(mapTwo.ms)}, 1 worker ${fmt(mapOne.ms)}; in tasks of ${CHUNK}: local ${fmt(chunkLocal.ms)}, 2 workers ${fmt(chunkTwo.ms)}`,
      );
    }

    // 4. A worker killed mid-job at the default lock (fresh workers, a queue of their own).
    if (cases.has('kill')) {
      const recovery = await killedMidJob(seed);
      note('kill unkilled', recovery.unkilledMs);
      note('kill killed', recovery.killedMs);
      note('kill to rerun', recovery.toRerunMs);
      note('kill to end', recovery.toEndMs);
      log(
        `  killed mid-job: the job done elsewhere ${fmt(recovery.toRerunMs)} after the kill, the run ${fmt(recovery.toEndMs)} after it (${fmt(recovery.killedMs)} in all; ${fmt(recovery.unkilledMs)} without a kill)`,
      );
    }
  }
} finally {
  await stopWorkers(liveWorkers);
  await removeAll();
}

const perNode = (ms: number) => `${(ms * 1_000).toFixed(0)} µs`;
const perItem = (ms: number) => `${((ms / MAP_ITEMS) * 1_000).toFixed(0)} µs`;
const yes = (met: boolean) => (met ? 'yes' : '**no**');

console.log(`\n### Distributed runs on BullMQ workers (median of ${runs}; range in brackets)\n`);
console.log('| case | local (RedisCache) | 1 worker | 2 workers | figure | goal | met |');
console.log('|---|---:|---:|---:|---:|---|---|');
if (cases.has('cpu')) {
  const ratio = med('cpu ratio');
  console.log(
    `| 32 CPU-bound nodes (≈200 ms each), fan-out | ${fmt(med('cpu local'))} | ${fmt(med('cpu 1 worker'))} (${range(all('cpu 1 worker'))}) | ${fmt(med('cpu 2 workers'))} (${range(all('cpu 2 workers'))}) | 2 workers / 1 worker: **${ratio.toFixed(2)}x** (${range(all('cpu ratio'), (v) => v.toFixed(2))}) | ≤ 0.6x | ${yes(ratio <= 0.6)} |`,
  );
}
if (cases.has('trivial')) {
  for (const [name, label] of [
    ['trivialChain', `chain of ${n} trivial nodes`],
    ['trivialFanOut', `fan-out of ${n} trivial nodes`],
  ] as const) {
    const value = med(`${name} per node`);
    console.log(
      `| ${label} | ${fmt(med(`${name} local`))} (MemoryCache ${fmt(med(`${name} memory`))}) | ${fmt(med(`${name} 1 worker`))} | | (1 worker − local) / ${n}: **${fmt(value)}** per node (${range(all(`${name} per node`))}; ${fmt(med(`${name} per node vs memory`))} over MemoryCache) | ≤ 5 ms | ${yes(value <= 5)} |`,
    );
  }
}
if (cases.has('map')) {
  const mapOverhead = med('map overhead');
  console.log(
    `| map over ${MAP_ITEMS.toLocaleString('en')} items, cached item by item (100 jobs of 100) | ${fmt(med('map local'))} (MemoryCache ${fmt(med('map memory'))}) | ${fmt(med('map 1 worker'))} | ${fmt(med('map 2 workers'))} (${range(all('map 2 workers'))}) | 2 workers − local: **${fmt(mapOverhead)}** (${range(all('map overhead'))}), ${perItem(mapOverhead)} per item; 1 worker: ${fmt(med('map overhead 1 worker'))} | < 2 s | ${yes(mapOverhead < 2_000)} |`,
  );
  console.log(
    `| the same items in ${MAP_ITEMS / CHUNK} tasks of ${CHUNK} (a map over chunks, cached per chunk) | ${fmt(med('chunked local'))} | | ${fmt(med('chunked 2 workers'))} (${range(all('chunked 2 workers'))}) | 2 workers − local: ${fmt(med('chunked overhead'))} (${range(all('chunked overhead'))}) | (for comparison) | |`,
  );
}
if (cases.has('kill')) {
  const toRerun = med('kill to rerun');
  console.log(
    `| 12 nodes of ${KILL_SLOW_MS} ms, a worker SIGKILLed mid-job (default lock, 5 s) | | | ${fmt(med('kill killed'))} (${range(all('kill killed'))}; ${fmt(med('kill unkilled'))} without a kill) | kill → the job done on the other worker: **${fmt(toRerun)}** (${range(all('kill to rerun'))}); kill → the run's end: ${fmt(med('kill to end'))} (${range(all('kill to end'))}) | < 15 s | ${yes(Math.max(...all('kill to rerun')) < 15_000)} |`,
  );
}
if (cases.has('trivial')) {
  console.log(
    `\nChain on 1 worker, per node (median): ${perNode(med('chain in worker'))} from \`started\` to \`completed\` in the worker (key check, lookup, compute, store, \`has\`); ${perNode(med('chain between'))} from one node's \`completed\` to the next one's \`started\` (job completion, completion event, read back, next lookup, task, enqueue, pick-up).`,
  );
}
if (cases.has('cpu')) {
  console.log(
    `CPU fan-out on 2 workers: nodes computed by ${[...new Set(all('cpu workers seen'))].join(' or ')} distinct workers.`,
  );
}
if (results.has('cpu 2 workers: cores busy')) {
  console.log(
    `CPU fan-out on 2 workers, per node: ${fmt(med('cpu 2 workers: worker CPU per node'))} of worker CPU, ${fmt(med('cpu 2 workers: wall per node'))} of wall time per worker; the machine's 2 cores were ${med('cpu 2 workers: cores busy').toFixed(2)} busy, ${med('cpu 2 workers: cores for the rest').toFixed(2)} of them with neither the workers nor this process (Redis, the kernel, other processes).`,
  );
}
for (const label of ['map 2 workers', 'map 1 worker']) {
  if (!results.has(`${label}: cores busy`)) continue;
  const us = (name: string) => `${(med(`${label}: ${name}`) * 1_000).toFixed(0)} µs`;
  console.log(
    `Map on ${label.slice(4)}, CPU per item: workers ${us('worker CPU per item')}, coordinator ${us('coordinator CPU per item')}, the rest (Redis, kernel, other processes) ${us('rest CPU per item')}; ${med(`${label}: cores busy`).toFixed(2)} of 2 cores busy.`,
  );
}
