import { availableParallelism } from 'node:os';
import type { CacheBackend } from '../backends/index.ts';
import { ConfigError, quote } from '../errors.ts';
import { defaultBackend } from '../memo/index.ts';
import type { OutputName, Pipeline, PipelineInputs, PipelineResult } from '../pipeline/index.ts';
import { type ExplainOptions, type ExplainReport, explainRun } from './dry-run.ts';
import { FairLimiter } from './fair-limiter.ts';
import { type HistoryOptions, RunRecorder } from './history.ts';
import type { Executor } from './remote/task.ts';
import { Run, type RunResult } from './schedule.ts';
import type { RunContext } from './types.ts';

export type { ExplainOptions, ExplainReport, ExplainStatus, NodeExplanation } from './dry-run.ts';
export type { RunResult } from './schedule.ts';

/** `inputs` and `options` of a run of `P`: `inputs` may be left out when the run needs none. */
export type RunArguments<P, Requested extends readonly string[]> =
  {} extends PipelineInputs<P, Requested[number]>
    ? [inputs?: PipelineInputs<P, Requested[number]>, options?: RunOptions<Requested>]
    : [inputs: PipelineInputs<P, Requested[number]>, options?: RunOptions<Requested>];

/** The Runner's cache settings (daft_func's CacheConfig). */
export interface RunnerCacheOptions {
  /** `false` runs every node without touching any backend (a node's own `cache` option still wins). @default true */
  enabled?: boolean;
  /** Where results are stored. @default the process-wide MemoryCache */
  backend?: CacheBackend;
  /** Replaces every node's env hash: for environments memoflow cannot see (a GPU driver, a dataset version). */
  envHash?: string;
  /**
   * Environment variable names whose values count in every node's env hash, besides each node's
   * own `env` (e.g. `['NODE_ENV', 'MODEL_VERSION']`). @default []
   */
  env?: readonly string[];
  /**
   * Cut the code hash after this many module hops from each node's module (a node's own option
   * wins). Left out, project source is followed to the end; what a cut leaves out is listed in
   * `explain` and each signature's `cut`. @default undefined (no cut)
   */
  dependencyDepth?: number;
  /** Print one line per run to stderr: `[CACHE] rows: ✓ HIT | clean: ✗ MISS inputs (1.02s) | …`. @default false */
  verbose?: boolean;
  /** Cache a node mapped over an array item by item (else as one value). @default true */
  perItemCaching?: boolean;
}

export interface RunnerOptions {
  /**
   * Computes misses elsewhere, e.g. `new BullMQExecutor({ connection, queue })` from
   * `@memoflow/bullmq`: the Runner still schedules, looks every node up and does the fan-in, and
   * hands the executor each miss of a node that uses `cache.backend`, which must be a cache the
   * workers share (a RedisCache). `concurrency` then bounds only nodes computed here. @default none: every node runs in this process
   */
  executor?: Executor;
  /** How many node computations run at once. @default os.availableParallelism() */
  concurrency?: number;
  cache?: RunnerCacheOptions;
  /** A live progress line on stderr. @default on a TTY, off when `CI` is set */
  progress?: boolean;
  /**
   * Record each run (its report: every node's status, reason, what changed, times, bytes, keys) in
   * the cache's history, read by `historyOf(cache)`, `memoflow runs` and `memoflow ui`: the newest
   * `keep` runs are kept. Only caches that keep a history record (MemoryCache, DiskCache in
   * `<dir>/runs/`, RedisCache, KeyvCache, TieredCache). `false` records nothing.
   * @default { keep: 100 }
   */
  history?: HistoryOptions | false;
}

/** Options of a run; `Requested` is the type of `outputs`, which types the run's result. */
export interface RunOptions<Requested extends readonly string[] = readonly string[]> {
  /** The outputs to produce and return; only the nodes they need run. @default the pipeline's final outputs (those no node takes) */
  outputs?: Requested;
  /** Stops scheduling new nodes and rejects with the signal's reason; running nodes finish and are stored. */
  signal?: AbortSignal;
}

/**
 * Runs pipelines: only the nodes the requested outputs need, independent ones concurrently,
 * skipping every node whose signature is stored, and reporting what ran and why.
 *
 * @example
 * const runner = new Runner({ concurrency: 4, cache: { backend: new DiskCache(), verbose: true } });
 * const { outputs, report } = await runner.run(pipeline, { path: 'data.csv' }, { outputs: ['scores'] });
 * console.log(report.toText());
 */
export class Runner {
  private readonly concurrency: number;
  private readonly cache: Required<Omit<RunnerCacheOptions, 'envHash' | 'backend' | 'dependencyDepth'>> &
    Pick<RunnerCacheOptions, 'envHash' | 'backend' | 'dependencyDepth'>;
  private readonly history: RunRecorder | undefined;

  constructor(private readonly options: RunnerOptions = {}) {
    const { concurrency = availableParallelism(), cache = {} } = options;
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new ConfigError(
        `Runner option \`concurrency\` is ${quote(concurrency)}: give a whole number ≥ 1.`,
      );
    }
    const { dependencyDepth } = cache;
    if (dependencyDepth !== undefined && !(Number.isInteger(dependencyDepth) && dependencyDepth >= 0)) {
      throw new ConfigError(
        `Runner option \`cache.dependencyDepth\` is ${quote(dependencyDepth)}: give a whole number ≥ 0.`,
      );
    }
    if (options.executor !== undefined && (cache.enabled === false || cache.backend === undefined)) {
      throw new ConfigError(
        `Runner option \`executor\` (${options.executor.name}) needs \`cache.backend\`: a cache its workers share, where results meet, e.g. new RedisCache({ url }).`,
      );
    }
    this.concurrency = concurrency;
    this.history = RunRecorder.of(options.history);
    this.cache = {
      enabled: cache.enabled ?? true,
      backend: cache.backend,
      envHash: cache.envHash,
      env: checkedEnvNames(cache.env),
      dependencyDepth,
      verbose: cache.verbose ?? false,
      perItemCaching: cache.perItemCaching ?? true,
    };
  }

  /**
   * Runs `pipeline` on `inputs`. Rejects with `MissingInputError` before anything runs when
   * inputs are missing, and with `NodeFailedError` (the node's error as `cause`, the run's
   * report as `report`) when a node throws — after the nodes already running have finished and
   * been stored, so the next run resumes from there.
   *
   * Typed by the pipeline: `inputs` must hold the inputs the requested outputs need, `outputs`
   * name outputs of the pipeline, and the result's `outputs` has the requested ones (else the
   * final ones) with their types.
   */
  run<P extends Pipeline<any>, const Requested extends readonly OutputName<P>[] = never>(
    pipeline: P,
    ...[inputs, options]: RunArguments<P, Requested>
  ): Promise<RunResult<PipelineResult<P, Requested[number]>>>;
  run(
    pipeline: Pipeline,
    inputs: Record<string, unknown> = {},
    options: RunOptions = {},
  ): Promise<RunResult> {
    try {
      const stop = new AbortController();
      const context = this.context(inputs, stop.signal);
      const run = new Run(pipeline, {
        context,
        stop,
        outputs: options.outputs,
        signal: options.signal,
        verbose: this.cache.verbose,
        progress: this.options.progress,
      });
      const outputs = options.outputs ?? pipeline.finalOutputs;
      return this.history ? this.history.recorded(run.execute(), context.backend, outputs) : run.execute();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A dry run: says, per node, whether `runner.run(pipeline, inputs, options)` would hit or miss
   * and why — which helper, input, package, env var or upstream node changed — without running
   * or storing anything. Keys are derived exactly as a run derives them and looked up with reads
   * only (no `setBlob`, no `setMeta`); an upstream hit's output hash comes from its stored entry.
   * A node downstream of one that will recompute is `unknown` (it may still hit by early
   * cutoff) unless nothing was ever recorded for it (`miss`, reason `new`). Node functions do
   * not run; a node's `key` function does, as it is part of the signature. Rejects like a run
   * would fail: on missing inputs, unknown outputs, or an input that cannot be hashed.
   *
   * @example
   * const { nodes } = await runner.explain(pipeline, { path: 'data.csv' }, { outputs: ['scores'] });
   * for (const { node, status, reason, changed } of nodes) console.log(node, status, reason ?? '', changed ?? []);
   */
  explain(
    pipeline: Pipeline,
    inputs: Record<string, unknown> = {},
    options: ExplainOptions = {},
  ): Promise<ExplainReport> {
    return explainRun(pipeline, this.context(inputs), options.outputs);
  }

  /** What every node of one run shares: the same for a run and its dry run, so their keys agree. */
  private context(inputs: Record<string, unknown>, cancel = new AbortController().signal): RunContext {
    const { cache } = this;
    return {
      inputs,
      backend: cache.enabled ? (cache.backend ?? defaultBackend()) : undefined,
      envHash: cache.envHash,
      env: cache.env,
      dependencyDepth: cache.dependencyDepth,
      perItemCaching: cache.perItemCaching,
      limit: new FairLimiter(this.concurrency),
      executor: this.options.executor,
      cancel,
    };
  }
}

/** `cache.env`: names of environment variables, checked. */
function checkedEnvNames(names: unknown): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string' && name !== '')) {
    throw new ConfigError(
      `Runner option \`cache.env\` is ${quote(names)}: give an array of environment variable names, e.g. ['NODE_ENV'].`,
    );
  }
  return names;
}
