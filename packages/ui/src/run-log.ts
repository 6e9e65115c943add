/**
 * The cache's run history as the page reads it: the runs list, a run, the last run's states, and
 * each node's line in every run. A record never changes once written, so each is read once; a
 * node's history comes from an index built over the records as they appear.
 */
import type { NodeReport } from '@memoflow/core';
import {
  type RunHistoryStore,
  type RunRecord,
  type RunSummary,
  runSummaryOf,
} from '@memoflow/core/backend-kit';
import type { NodeHistoryEntry, NodeRunView, RunDetail, RunHead } from './types.ts';

/** Records kept in memory (the newest read); older ones are read again when asked for. */
const RECORDS_KEPT = 20;

export class RunLog {
  readonly #store: RunHistoryStore | undefined;
  readonly #records = new Map<string, RunRecord>();
  /** Node → its entry in each run indexed so far, by run id. */
  readonly #byNode = new Map<string, Map<string, NodeHistoryEntry>>();
  readonly #indexed = new Set<string>();
  #indexing: Promise<void> | undefined;

  constructor(store: RunHistoryStore | undefined) {
    this.#store = store;
  }

  /** Whether the cache keeps a run history. */
  get available(): boolean {
    return this.#store !== undefined;
  }

  /** The runs, newest first. */
  async list(limit?: number): Promise<RunHead[]> {
    if (!this.#store) return [];
    const summaries = await this.#store.listRuns(limit === undefined ? {} : { limit });
    return summaries.map(headOf);
  }

  /** The newest run, if any. */
  async newest(): Promise<RunHead | undefined> {
    return (await this.list(1))[0];
  }

  async record(id: string): Promise<RunRecord | undefined> {
    const kept = this.#records.get(id);
    if (kept) return kept;
    const record = await this.#store?.getRun(id);
    if (record) {
      this.#records.set(id, record);
      if (this.#records.size > RECORDS_KEPT) this.#records.delete(this.#records.keys().next().value!);
    }
    return record;
  }

  async detail(id: string): Promise<RunDetail | undefined> {
    const record = await this.record(id);
    if (!record) return undefined;
    return {
      head: headOf(runSummaryOf(record)),
      outputs: record.outputs,
      backend: record.report.backend,
      nodes: record.report.nodes.map(viewOf),
    };
  }

  /** `node`'s entry in every recorded run that had it, newest first. */
  async nodeHistory(node: string): Promise<NodeHistoryEntry[]> {
    const heads = await this.list();
    await this.#index(heads);
    const entries = this.#byNode.get(node);
    if (!entries) return [];
    return heads.flatMap((head) => {
      const entry = entries.get(head.id);
      return entry ? [entry] : [];
    });
  }

  /** Reads the records not indexed yet; one indexing at a time, so concurrent pages share it. */
  async #index(heads: readonly RunHead[]): Promise<void> {
    while (this.#indexing) await this.#indexing;
    const missing = heads.filter((head) => !this.#indexed.has(head.id));
    if (missing.length === 0) return;
    this.#indexing = (async () => {
      for (const head of missing) {
        const record = await this.record(head.id);
        this.#indexed.add(head.id);
        for (const report of record?.report.nodes ?? []) {
          let entries = this.#byNode.get(report.node);
          if (!entries) {
            entries = new Map();
            this.#byNode.set(report.node, entries);
          }
          entries.set(head.id, { ...viewOf(report), runId: head.id, startedAt: head.startedAt });
        }
      }
    })().finally(() => {
      this.#indexing = undefined;
    });
    await this.#indexing;
  }
}

/** A node's report as the page shows it. */
export function viewOf(report: NodeReport): NodeRunView {
  const view: NodeRunView = { node: report.node, state: report.status };
  if (report.reason !== undefined) view.reason = report.reason;
  if (report.changed !== undefined && report.changed.length > 0) view.changed = report.changed;
  const ms = report.status === 'hit' ? report.savedMs : report.computeMs;
  if (ms !== undefined) view.ms = ms;
  const bytes = Math.max(report.bytesRead ?? 0, report.bytesWritten ?? 0);
  if (bytes > 0) view.bytes = bytes;
  if (report.items !== undefined) view.items = report.items;
  if (report.key !== undefined) view.key = report.key;
  if (report.error !== undefined) view.error = report.error;
  if (report.worker !== undefined) view.worker = report.worker;
  return view;
}

export function headOf(summary: RunSummary): RunHead {
  const head: RunHead = {
    id: summary.id,
    startedAt: summary.startedAt,
    durationMs: summary.durationMs,
    source: summary.source,
    counts: { ...summary.counts },
  };
  if (summary.pipeline !== undefined) head.pipeline = summary.pipeline;
  return head;
}
