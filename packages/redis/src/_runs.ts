/**
 * RedisCache's run history: `<prefix>r`, the run summaries (JSON) in a sorted set scored by start
 * time, capped at `keep`, and `<prefix>r:<id>`, each run's record (JSON). A sorted set rather
 * than a list: a run recorded after one that started later (a long run) still sorts, and is
 * trimmed, by when it started, as every history does. Ties sort by member, whose JSON starts with
 * the id. The records are not signed: they are reports to read, never values served.
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
import type { KeyNames } from './_keys.ts';
import type { Server } from './_server.ts';

export class RedisRunHistory implements RunHistoryStore {
  constructor(
    readonly server: Server,
    readonly keys: KeyNames,
    readonly readOnly: boolean,
  ) {}

  /** Like a store: skipped on a read-only cache, and while the server is unreachable. */
  async appendRun(record: RunRecord, keep: number): Promise<void> {
    assertRunRecord(record);
    assertKeep(keep, 'appendRun');
    if (this.readOnly) return;
    const { client } = this.server;
    const summary = JSON.stringify(runSummaryOf(record));
    const text = JSON.stringify(record);
    // One transaction: the summaries trimmed off are read in it, so each is seen (and its
    // record removed) by exactly one of several processes appending at once.
    const replies = await this.server.guarded(
      () =>
        client
          .multi()
          .set(this.keys.run(record.id), text)
          .zAdd(this.keys.runs, { score: record.startedAt, value: summary })
          .zRange(this.keys.runs, 0, -(keep + 1))
          .zRemRangeByRank(this.keys.runs, 0, -(keep + 1))
          .exec(),
      undefined,
      [],
      text.length,
    );
    const trimmed = (replies?.[2] ?? []) as unknown as string[];
    const gone = trimmed.flatMap((line) => {
      const id = idOf(line);
      return id === undefined ? [] : [this.keys.run(id)];
    });
    if (gone.length > 0) await this.server.guarded(() => client.unlink(gone), 0);
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    assertRunLimit(options.limit);
    if (options.limit === 0) return [];
    const client = await this.server.managed('listRuns()', false);
    const lines = await client.zRangeRev(this.keys.runs, options.limit);
    const summaries: RunSummary[] = [];
    for (const line of lines) {
      const summary = parsed<RunSummary>(line);
      if (summary && isRunId(summary.id)) summaries.push(summary);
    }
    return summaries.sort(newestFirst);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    if (!isRunId(id)) return undefined;
    const client = await this.server.managed('getRun()', false);
    const text = await client.get(this.keys.run(id));
    const record = text === null ? undefined : parsed<RunRecord>(text);
    return record?.id === id ? record : undefined;
  }
}

function parsed<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const idOf = (line: string): string | undefined => {
  const id = parsed<{ id?: unknown }>(line)?.id;
  return isRunId(id) ? id : undefined;
};
