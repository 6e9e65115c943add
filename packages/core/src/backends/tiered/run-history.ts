/**
 * Where a TieredCache keeps its runs: in one tier, the slowest writable one that has a history.
 * The slowest tier is the one other processes share (a disk, a Redis) and outlives this one,
 * which is where `memoflow runs` and `memoflow ui` look; a MemoryCache in front would forget every
 * run with the process. With no writable tier that has one, the slowest read-only tier's history
 * is read and never written.
 */
import type { RunRecord, RunSummary } from '../../report/index.ts';
import type { RunHistoryStore } from '../contract.ts';
import { assertKeep, assertRunRecord } from '../kit/index.ts';
import type { TierSlot } from './tiers.ts';

/** The history of `slots` (fastest first) as described above; undefined when no tier has one. */
export function tieredRunHistory(slots: readonly TierSlot[]): RunHistoryStore | undefined {
  const keeping = slots.filter((slot) => slot.backend.runs !== undefined);
  const writable = keeping.filter((slot) => !slot.readOnly).at(-1);
  if (writable) return writable.backend.runs;
  const readOnly = keeping.at(-1)?.backend.runs;
  return readOnly && new ReadOnlyRunHistory(readOnly);
}

/** A read-only tier's history: read as it is, appended to never. */
class ReadOnlyRunHistory implements RunHistoryStore {
  constructor(private readonly history: RunHistoryStore) {}

  async appendRun(record: RunRecord, keep: number): Promise<void> {
    assertRunRecord(record);
    assertKeep(keep, 'appendRun');
  }

  listRuns(options?: { limit?: number }): Promise<RunSummary[]> {
    return this.history.listRuns(options);
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.history.getRun(id);
  }
}
