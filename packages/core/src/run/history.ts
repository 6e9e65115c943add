/**
 * Run history: after each run, the Runner appends the run's record (its report, what it was asked
 * for) to its cache's history (`cache.runs`), the newest `keep` of them. Recording never fails a
 * run: a history that cannot be written is a warning, once.
 */
import { randomBytes } from 'node:crypto';
import type { CacheBackend, RunHistoryStore } from '../backends/index.ts';
import { assertKeep } from '../backends/kit/index.ts';
import { ConfigError, NodeFailedError, quote } from '../errors.ts';
import type { RunRecord, RunReport, RunSource } from '../report/index.ts';

/** `RunnerOptions.history`: what a Runner records of its runs. */
export interface HistoryOptions {
  /** How many runs the cache's history keeps; older ones are removed as new ones come. @default 100 */
  keep?: number;
  /** A label stored with each run, e.g. the pipeline's module and export. @default none */
  pipeline?: string;
  /** Who ran it, as stored with each run. @default 'library' */
  source?: RunSource;
}

/** Runs a history keeps when `keep` is not given. */
export const DEFAULT_HISTORY_KEEP = 100;

/**
 * The run history a cache keeps (its `runs`), or undefined when it keeps none (a backend without
 * one, or no cache). What `memoflow runs` and `memoflow ui` read.
 *
 * @example
 * const history = historyOf(cache);
 * const [latest] = (await history?.listRuns({ limit: 1 })) ?? [];
 * const record = latest && (await history!.getRun(latest.id));
 */
export function historyOf(cache: CacheBackend | undefined): RunHistoryStore | undefined {
  return cache?.runs;
}

/** A new run id for a run started at `startedAt`: `20261207T195800123Z-ab12` (see `RUN_ID_PATTERN`). */
export function newRunId(startedAt: number): string {
  const time = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  return `${time}-${randomBytes(2).toString('hex')}`;
}

/** Records the runs of one Runner, as its `history` option says. */
export class RunRecorder {
  readonly #keep: number;
  readonly #pipeline: string | undefined;
  readonly #source: RunSource;

  /** `undefined` for `history: false`, else a recorder of the options (checked: a ConfigError names the bad one). */
  static of(option: HistoryOptions | false | undefined): RunRecorder | undefined {
    if (option === false) return undefined;
    if (option !== undefined && (option === null || typeof option !== 'object')) {
      throw new ConfigError(
        `Runner option \`history\` is ${quote(option)}: give { keep: 100 } (how many runs to keep), or false to record none.`,
      );
    }
    return new RunRecorder(option ?? {});
  }

  private constructor(options: HistoryOptions) {
    const { keep = DEFAULT_HISTORY_KEEP, pipeline, source = 'library' } = options;
    assertKeep(keep, 'Runner option `history`:');
    if (pipeline !== undefined && typeof pipeline !== 'string') {
      throw new ConfigError(
        `Runner option \`history.pipeline\` is ${quote(pipeline)}: give a label, a string.`,
      );
    }
    if (source !== 'library' && source !== 'cli') {
      throw new ConfigError(`Runner option \`history.source\` is ${quote(source)}: give 'library' or 'cli'.`);
    }
    this.#keep = keep;
    this.#pipeline = pipeline;
    this.#source = source;
  }

  /**
   * `execution`, whose report (of a run that finished, or failed in a node) is appended to the
   * history of `cache` before it settles; as it is when the cache keeps no history.
   */
  async recorded<R extends { report: RunReport }>(
    execution: Promise<R>,
    cache: CacheBackend | undefined,
    outputs: readonly string[],
  ): Promise<R> {
    const history = historyOf(cache);
    if (!history) return execution;
    let result: R;
    try {
      result = await execution;
    } catch (error) {
      if (error instanceof NodeFailedError && error.report)
        await this.#append(history, error.report, outputs);
      throw error;
    }
    await this.#append(history, result.report, outputs);
    return result;
  }

  async #append(history: RunHistoryStore, report: RunReport, outputs: readonly string[]): Promise<void> {
    const data = report.toJSON();
    const record: RunRecord = {
      id: newRunId(data.startedAt),
      startedAt: data.startedAt,
      durationMs: data.durationMs,
      ...(this.#pipeline === undefined ? {} : { pipeline: this.#pipeline }),
      source: this.#source,
      // A copy of the list: the caller's report may be changed later, the record must not be.
      report: { ...data, nodes: [...data.nodes], edges: [...data.edges] },
      outputs: [...outputs],
    };
    try {
      await history.appendRun(record, this.#keep);
    } catch (error) {
      warnOnce(error);
    }
  }
}

let warned = false;

function warnOnce(error: unknown): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `memoflow: a run could not be recorded in the cache's history (${(error as Error)?.message ?? error}); runs go on unrecorded. Pass \`history: false\` to the Runner to record none.`,
    { code: 'MEMOFLOW_HISTORY' },
  );
}
