/**
 * What every run history shares: the run id's form, the checks of what is appended, a record's
 * summary, and `RunList`, a history kept in this process's memory (MemoryCache's).
 */
import { ConfigError, quote } from '../../errors.ts';
import type { NodeStatus, RunRecord, RunSummary } from '../../report/index.ts';
import type { RunHistoryStore } from '../contract.ts';

/**
 * A run id: its start time in UTC to the millisecond (`20261207T195800123Z`), a dash and a random
 * hex suffix. Safe as a file name and a key; ids sort as the runs started.
 */
export const RUN_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{4,16}$/;

/** Whether `id` has the form of a run id (`RUN_ID_PATTERN`). */
export const isRunId = (id: unknown): id is string => typeof id === 'string' && RUN_ID_PATTERN.test(id);

/** Throws a ConfigError unless `keep` is a whole number ≥ 1 (`where`: whose option it is). */
export function assertKeep(keep: unknown, where: string): asserts keep is number {
  if (!(Number.isSafeInteger(keep) && (keep as number) >= 1)) {
    throw new ConfigError(
      `${where} \`keep\` is ${quote(keep)}: give how many runs to keep, a whole number ≥ 1 (e.g. 100).`,
    );
  }
}

/** Throws a ConfigError unless `record` has a run id and a report with nodes: what every store relies on. */
export function assertRunRecord(record: RunRecord): void {
  if (!isRunId(record?.id)) {
    throw new ConfigError(
      `Cannot record run ${quote(record?.id)}: a run id is its start time and a suffix, e.g. 20261207T195800123Z-ab12.`,
    );
  }
  if (!Array.isArray(record.report?.nodes)) {
    throw new ConfigError(`Cannot record run ${record.id}: its \`report.nodes\` is not a list of nodes.`);
  }
}

/** Throws a ConfigError unless `limit` is undefined or a whole number ≥ 0. */
export function assertRunLimit(limit: unknown): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && (limit as number) >= 0)) {
    throw new ConfigError(`listRuns \`limit\` is ${quote(limit)}: give a whole number ≥ 0, or leave it out.`);
  }
}

/** The statuses in the order summaries count them. */
const STATUSES: readonly NodeStatus[] = ['hit', 'miss', 'disabled', 'failed', 'skipped'];

/** `record` without its report, with how many of its nodes ended in each status. */
export function runSummaryOf(record: RunRecord): RunSummary {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<NodeStatus, number>;
  for (const node of record.report.nodes) counts[node.status] = (counts[node.status] ?? 0) + 1;
  const { id, startedAt, durationMs, pipeline, source } = record;
  return pipeline === undefined
    ? { id, startedAt, durationMs, source, counts }
    : { id, startedAt, durationMs, pipeline, source, counts };
}

/** Newest first: run ids compared as strings sort as the runs started. */
export const newestFirst = (a: { id: string }, b: { id: string }): number =>
  a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

/** Node lines a `RunList` keeps in all, by default: ≈20 MB of reports. */
export const RUN_LIST_MAX_NODES = 100_000;

/**
 * A run history in this process's memory: the newest `keep` records, as appended (a record is
 * kept as given, not copied: do not change one after appending it), and older ones dropped
 * beyond `maxNodes` node lines in all, so a large pipeline's reports do not pile up in a
 * long-lived process. The newest record is always kept.
 */
export class RunList implements RunHistoryStore {
  /** Oldest first. */
  readonly #records: RunRecord[] = [];
  #nodes = 0;

  constructor(readonly maxNodes = RUN_LIST_MAX_NODES) {}

  async appendRun(record: RunRecord, keep: number): Promise<void> {
    assertRunRecord(record);
    assertKeep(keep, 'appendRun');
    const records = this.#records;
    let at = records.length;
    while (at > 0 && records[at - 1]!.id > record.id) at--;
    records.splice(at, 0, record);
    this.#nodes += record.report.nodes.length;
    while (records.length > keep || (records.length > 1 && this.#nodes > this.maxNodes)) {
      this.#nodes -= records.shift()!.report.nodes.length;
    }
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    assertRunLimit(options.limit);
    const records = this.#records;
    const count = Math.min(options.limit ?? records.length, records.length);
    const summaries: RunSummary[] = [];
    for (let i = records.length - 1; summaries.length < count; i--) summaries.push(runSummaryOf(records[i]!));
    return summaries;
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.#records.find((record) => record.id === id);
  }

  /** Forgets every record. */
  clear(): void {
    this.#records.length = 0;
    this.#nodes = 0;
  }
}
