/**
 * `memoflow worker`: takes the misses of `memoflow run --queue` (or of any Runner with a
 * BullMQExecutor) from a BullMQ queue and computes them into the shared Redis cache, until
 * SIGINT or SIGTERM; then it finishes the jobs in hand and exits 0.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors.ts';
import { loadOptional } from '../optional-packages.ts';
import { configFrom, wholeNumber } from '../options.ts';
import { colors } from '../terminal.ts';

interface WorkerFlags {
  redis?: string;
  prefix?: string;
  /** @default @memoflow/bullmq's DEFAULT_QUEUE (read when the worker starts: importing it here would load BullMQ for every command) */
  queue?: string;
  concurrency?: number;
  lockDuration?: number;
  export?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('compute the misses `run --queue` sends to a BullMQ queue, until SIGINT or SIGTERM')
    .argument(
      '<pipeline-module>',
      'the module the runs use (the same code): its default (or `pipeline`) export is a Pipeline',
    )
    .option('--redis <url>', 'the Redis of the queue and of the cache the runs read (or $MEMOFLOW_REDIS_URL)')
    .option(
      '--prefix <prefix>',
      'the cache’s key prefix on the Redis server, as the runs use it (default memoflow:)',
    )
    .option(
      '--queue <name>',
      'the queue the runs send their misses to (default: @memoflow/bullmq’s default queue)',
    )
    .option(
      '--concurrency <n>',
      'jobs run at once (default 1; for nodes that compute in JavaScript, run a worker per core instead)',
      wholeNumber('concurrency'),
    )
    .option(
      '--lock-duration <ms>',
      'how long a job stays this worker’s after the worker dies: another takes it within 1.5 times this (default 5000, so 7.5 s); a node computing for longer keeps its job',
      wholeNumber('lock-duration'),
    )
    .option(
      '--export <name>',
      'the export that holds the pipeline (default: the default export, else `pipeline`)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow worker pipeline.ts --redis redis://cache:6379\n  $ memoflow worker pipeline.ts --redis redis://cache:6379 --queue etl --concurrency 4\n  $ MEMOFLOW_SIGNING_KEY=… memoflow worker pipeline.ts --redis rediss://cache:6380 --prefix etl:\n\nRuns send their misses with: memoflow run pipeline.ts --redis redis://cache:6379 --queue etl\n',
    )
    .action((module: string, flags: WorkerFlags) => work(module, flags));
}

async function work(module: string, flags: WorkerFlags): Promise<void> {
  const { values: config, sources } = await configFrom({ redis: flags.redis, prefix: flags.prefix });
  if (config.redis === undefined) {
    throw new UsageError(
      'worker needs --redis <url> (or MEMOFLOW_REDIS_URL): the Redis that holds the queue and the cache the runs read',
    );
  }
  if (config.readOnly) {
    throw new UsageError(
      `a worker writes its results to the cache, but readOnly is set (${sources.readOnly}): unset it for workers`,
    );
  }
  const [, { startWorker, DEFAULT_QUEUE }] = await loadOptional('memoflow worker', [
    '@memoflow/redis',
    '@memoflow/bullmq',
  ]);
  const queue = flags.queue ?? DEFAULT_QUEUE;
  const [{ withoutCredentials }, { errorToJSON }, { loadPipeline }, { openBackend }] = await Promise.all([
    import('@memoflow/core/backend-kit'),
    import('@memoflow/core/executor'),
    import('../load.ts'),
    import('../open-backend.ts'),
  ]);
  const pipeline = await loadPipeline(module, flags.export);
  // A worker's cache is always the shared Redis, whatever backend the configuration chose for runs.
  const cache = await openBackend({ ...config, backend: 'redis' });
  const where = withoutCredentials(config.redis) ?? 'Redis';
  const name = `${hostname()}:${process.pid}`;
  let jobs = 0;
  let running: { close(): Promise<void> };
  try {
    const starting = startWorker({
      pipeline,
      cache,
      connection: { url: config.redis },
      queue,
      concurrency: flags.concurrency,
      lockDuration: flags.lockDuration,
      onEvent: (event) => {
        const { items } = event;
        const item =
          items === undefined ? '' : items.length === 1 ? ` [item ${items[0]}]` : ` [${items.length} items]`;
        if (event.type === 'completed') {
          jobs++;
          const ms = event.result?.computeMs ?? 0;
          const stored = ms === 0 ? ' (stored already)' : '';
          say(`${colors.green('✓')} ${event.node}${item} ${formatMs(ms)}${stored}`);
        } else if (event.type === 'failed') {
          jobs++;
          say(`${colors.red('✗')} ${event.node}${item}: ${oneLine(errorToJSON(event.error).message)}`);
        }
      },
    });
    running = await startedWithin(starting, START_TIMEOUT_MS, where);
  } catch (error) {
    await cache.close();
    throw error;
  }
  // Listening before saying it is ready: whoever waits for that line may signal at once. The
  // first signal stops the worker gracefully; a second one, at once.
  let signals = 0;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      if (signals++ === 0) return resolve(signal);
      say(
        `memoflow worker: ${name} stopped without finishing: its jobs go to other workers once their locks expire`,
      );
      process.exit(EXIT.failed);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const nodes = pipeline.nodes.length;
  say(
    `memoflow worker: ${name} takes jobs for ${nodes} ${nodes === 1 ? 'node' : 'nodes'} of ${module} from queue ${queue} on ${where} (concurrency ${flags.concurrency ?? 1})`,
  );

  const signal = await stopped;
  say(`memoflow worker: ${name} got ${signal}: finishing the jobs in hand (${signal} again stops at once)`);
  try {
    await running.close();
  } finally {
    await cache.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  say(`memoflow worker: ${name} stopped after ${jobs} ${jobs === 1 ? 'job' : 'jobs'}`);
}

/** How long the worker waits for its queue's Redis at start before it gives up. */
const START_TIMEOUT_MS = 10_000;

/**
 * The started worker, or an error once `ms` pass: BullMQ waits for an unreachable server
 * forever, and a worker that never says it is ready looks like one that works. Its connection
 * then still retries, so the process ends shortly after the error is printed.
 */
async function startedWithin<T>(starting: Promise<T>, ms: number, where: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      setTimeout(() => process.exit(), 1_000).unref();
      reject(
        new Error(
          `Redis at ${where} did not answer within ${ms / 1_000} s: the worker cannot reach its queue (is the server up, and the URL right?)`,
        ),
      );
    }, ms);
  });
  starting.catch(() => {}); // A failure after the time is up has been reported already.
  try {
    return await Promise.race([starting, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `12ms` under a second, `1.23s` past it. */
function formatMs(ms: number): string {
  if (ms > 0 && ms < 1) return '<1ms';
  return ms < 1_000 ? `${Math.round(ms)}ms` : `${(ms / 1_000).toFixed(2)}s`;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
