/**
 * KeyvCache's run history: `memoflow:run:<id>`, each run's record, and `memoflow:runs`, the index
 * of their summaries (newest first, at most `keep`), both plain strings like every record here.
 *
 * Keyv has no list or transaction: appending reads the index, adds the summary and writes it
 * back. Two processes appending at the same moment can each write an index without the other's
 * run (whose record then stays, unlisted, until `clear()`); one process never loses its own.
 */
import {
  assertKeep,
  assertRunLimit,
  assertRunRecord,
  isRunId,
  newestFirst,
  type RunHistoryStore,
  type RunRecord,
  type RunSummary,
  runSummaryOf,
} from '@memoflow/core/backend-kit';
import type { KeyvRecords } from './_store.ts';

const RUN_MAGIC = 'memoflow-run/1\n';
const INDEX_MAGIC = 'memoflow-runs/1\n';
const INDEX_KEY = 'memoflow:runs';
const runKey = (id: string): string => `memoflow:run:${id}`;

export class KeyvRunHistory implements RunHistoryStore {
  constructor(readonly records: KeyvRecords) {}

  async appendRun(record: RunRecord, keep: number): Promise<void> {
    assertRunRecord(record);
    assertKeep(keep, 'appendRun');
    const what = `record run ${record.id}`;
    await this.records.write(runKey(record.id), `${RUN_MAGIC}${JSON.stringify(record)}`, undefined, what);
    const summaries = [...(await this.#index(what)), runSummaryOf(record)].sort(newestFirst);
    const trimmed = summaries.splice(keep);
    await this.records.write(INDEX_KEY, `${INDEX_MAGIC}${JSON.stringify(summaries)}`, undefined, what);
    if (trimmed.length > 0) await this.records.remove(trimmed.map((summary) => runKey(summary.id)));
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    assertRunLimit(options.limit);
    const summaries = await this.#index('list the runs');
    return options.limit === undefined ? summaries : summaries.slice(0, options.limit);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    if (!isRunId(id)) return undefined;
    const record = await this.#read<RunRecord>(runKey(id), RUN_MAGIC, `read run ${id}`);
    return record?.id === id ? record : undefined;
  }

  /** Removes every run this history lists, and the list. */
  async clear(): Promise<void> {
    const summaries = await this.#index('clear the runs');
    await this.records.remove([...summaries.map((summary) => runKey(summary.id)), INDEX_KEY]);
  }

  /** The summaries listed, newest first; none when the index is absent or damaged (the next append rewrites it). */
  async #index(what: string): Promise<RunSummary[]> {
    const summaries = await this.#read<RunSummary[]>(INDEX_KEY, INDEX_MAGIC, what);
    return Array.isArray(summaries) ? summaries.filter((summary) => isRunId(summary?.id)) : [];
  }

  async #read<T>(recordKey: string, magic: string, what: string): Promise<T | undefined> {
    const [read] = await this.records.read([recordKey], what);
    if (read?.state !== 'value' || typeof read.value !== 'string' || !read.value.startsWith(magic)) {
      return undefined;
    }
    try {
      return JSON.parse(read.value.slice(magic.length)) as T;
    } catch {
      return undefined;
    }
  }
}
