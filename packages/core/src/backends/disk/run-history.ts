/**
 * DiskCache's run history: `<dir>/runs/<id>.json`, one file per run, written to a temp file and
 * renamed into place, so a reader in any process sees a whole record or none.
 *
 * A file is the record as JSON with the summary's fields first and on a line of their own
 * (`{"id":…,"counts":{…},\n"report":{…},"outputs":[…]}`): listing reads that first line of
 * each file, never a whole report. A damaged file is skipped with a warning.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import type { RunRecord, RunSummary } from '../../report/index.ts';
import type { RunHistoryStore } from '../contract.ts';
import {
  assertKeep,
  assertRunLimit,
  assertRunRecord,
  isRunId,
  newestFirst,
  RUN_ID_PATTERN,
  runSummaryOf,
} from '../kit/index.ts';
import { isAbsent, openRegular, readAll, removeDirectory, tempPathIn, withDirectory } from './fs.ts';
import type { DiskStore } from './store.ts';
import { sweepStaleTemps } from './temp.ts';

/** The first line of a file, where the summary is, is read this many bytes at a time. */
const HEAD_BYTES = 4096;
const RUN_FILE = new RegExp(`^(${RUN_ID_PATTERN.source.slice(1, -1)})\\.json$`);

export class DiskRunHistory implements RunHistoryStore {
  /** Files already warned about as damaged, so a listing repeated does not warn again. */
  readonly #warned = new Set<string>();

  constructor(
    /** `<dir>/runs`. */
    readonly dir: string,
    readonly store: DiskStore,
  ) {}

  async appendRun(record: RunRecord, keep: number): Promise<void> {
    assertRunRecord(record);
    assertKeep(keep, 'appendRun');
    if (this.store.readOnly) return;
    const parts = encodeRunFile(record);
    try {
      // Temp file then rename: a reader never sees part of a record.
      withDirectory(this.dir, () => {
        const temp = tempPathIn(this.dir);
        writeNewText(temp, parts);
        fs.renameSync(temp, this.#path(record.id));
      });
      this.#prune(keep);
    } catch (error) {
      if (this.store.refused(error)) return;
      throw this.store.failure(`Cannot record run ${record.id} in ${this.dir}`, error);
    }
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    assertRunLimit(options.limit);
    const ids = this.#ids().sort().reverse();
    const summaries: RunSummary[] = [];
    for (const id of ids) {
      if (options.limit !== undefined && summaries.length >= options.limit) break;
      const summary = this.#readSummary(id);
      if (summary) summaries.push(summary);
    }
    return summaries.sort(newestFirst);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    if (!isRunId(id)) return undefined;
    const text = this.#read(id, Number.POSITIVE_INFINITY);
    if (text === undefined) return undefined;
    try {
      const { counts: _counts, ...record } = JSON.parse(text) as RunRecord & { counts?: unknown };
      if (record.id !== id || !Array.isArray(record.report?.nodes)) throw new Error('not a run record');
      return record;
    } catch (error) {
      this.#damaged(id, error);
      return undefined;
    }
  }

  /** Removes every record: the directory is renamed away whole, then deleted (see `removeDirectory`). */
  clear(): void {
    const { temp } = this.store.settings;
    try {
      removeDirectory(this.dir, temp, tempPathIn(temp));
    } catch (error) {
      if (this.store.refused(error)) return;
      throw this.store.failure(`Cannot remove the runs in ${this.dir}`, error);
    }
  }

  #path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** The ids of the run files there; anything else (a writer's temp file) is left. */
  #ids(): string[] {
    return this.#listing().ids;
  }

  /** The run files there by id, and whether anything else is (a writer's temp file). */
  #listing(): { ids: string[]; others: boolean } {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (error) {
      if (isAbsent(error)) return { ids: [], others: false };
      throw this.store.failure(`Cannot list the runs in ${this.dir}`, error);
    }
    const ids: string[] = [];
    let others = false;
    for (const name of names) {
      const match = RUN_FILE.exec(name);
      if (match) ids.push(match[1]!);
      else others = true;
    }
    return { ids, others };
  }

  /** Removes the oldest runs beyond `keep`, and the temp files of writers that died. */
  #prune(keep: number): void {
    const { ids, others } = this.#listing();
    ids.sort();
    for (const id of ids.slice(0, Math.max(0, ids.length - keep))) {
      try {
        fs.unlinkSync(this.#path(id));
      } catch (error) {
        // Another process pruning at the same time removed it first.
        if (!isAbsent(error)) throw error;
      }
    }
    // Only when something else is there: the sweep looks at every file it finds.
    if (others) sweepStaleTemps(this.dir, this.dir, Date.now());
  }

  #readSummary(id: string): RunSummary | undefined {
    const head = this.#read(id, HEAD_BYTES);
    if (head === undefined) return undefined;
    try {
      const newline = head.indexOf('\n');
      // The summary's line ends with the comma before "report"; a file without one is read whole.
      const summary =
        newline > 0
          ? (JSON.parse(`${head.slice(0, newline - 1)}}`) as RunSummary)
          : runSummaryOf(JSON.parse(this.#read(id, Number.POSITIVE_INFINITY) ?? '') as RunRecord);
      if (summary.id !== id || typeof summary.counts !== 'object' || summary.counts === null) {
        throw new Error('not a run summary');
      }
      return summary;
    } catch (error) {
      this.#damaged(id, error);
      return undefined;
    }
  }

  /** The file of run `id`, its first `limit` bytes (a line at least) as text; undefined when absent or not a file. */
  #read(id: string, limit: number): string | undefined {
    const path = this.#path(id);
    let opened: ReturnType<typeof openRegular>;
    try {
      opened = openRegular(path);
    } catch (error) {
      throw this.store.failure(`Cannot read run ${id} in ${this.dir}`, error);
    }
    if (opened === 'absent') return undefined;
    if (opened === 'not a file') {
      this.#damaged(id, new Error('not a regular file'));
      return undefined;
    }
    try {
      return readAll(opened.fd, Math.min(opened.size, limit)).toString('utf8');
    } finally {
      fs.closeSync(opened.fd);
    }
  }

  #damaged(id: string, error: unknown): void {
    if (this.#warned.has(id)) return;
    this.#warned.add(id);
    process.emitWarning(
      `memoflow: skipped the damaged run record ${this.#path(id)} (${(error as Error)?.message ?? error}); remove the file.`,
      { code: 'MEMOFLOW_RUN_DAMAGED' },
    );
  }
}

/**
 * Writes `parts` to a new file as UTF-8, one after another, straight from the strings: no
 * ~2 MB string or Buffer of a 10,000-node report is made first. A short write (a full disk) is
 * finished from where it stopped; a file a failure left part-written is removed.
 */
function writeNewText(path: string, parts: readonly string[]): void {
  const fd = fs.openSync(path, 'wx');
  try {
    for (const part of parts) {
      const length = Buffer.byteLength(part);
      let written = fs.writeSync(fd, part);
      if (written < length) {
        const bytes = Buffer.from(part);
        while (written < length) written += fs.writeSync(fd, bytes, written, length - written);
      }
    }
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw error;
  }
  fs.closeSync(fd);
}

/** The file of `record`, in parts: the summary's fields on the first line, then the report and the outputs. */
export function encodeRunFile(record: RunRecord): string[] {
  const summary = JSON.stringify(runSummaryOf(record));
  return [
    `${summary.slice(0, -1)},\n"report":`,
    JSON.stringify(record.report),
    `,"outputs":${JSON.stringify(record.outputs)}}\n`,
  ];
}
