/**
 * DiskCache with real processes and real files: writers killed with SIGKILL
 * mid-write, 8 processes hammering one directory, damaged blob files and a damaged index, and
 * the `maxBytes` bound while far more than it passes through.
 *
 * Every value is derived from its key (fixtures/_disk-values.ts), so any process can tell a
 * right value from a wrong or partial one. Each fixture prints its result as JSON on its last
 * stdout line; `disk-check.ts` opens a directory in a fresh process and runs named steps
 * (read, list, info, verify, rewrite, …).
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hash } from '../src/util/hash.ts';
import {
  describeExit,
  type Exit,
  exitOf,
  lastLine,
  lineFrom,
  runFixture,
  startFixture,
} from './fixtures/_disk-children.ts';
import {
  contentLength,
  contentsOfKey,
  contentValue,
  DEFAULT_MAX_INLINE_BYTES,
  keyOf,
  lengthsOfKey,
  type Profile,
  random,
  sleep,
} from './fixtures/_disk-values.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-processes-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const BLOB_HEADER_BYTES = 56;
const log = (line: string) => console.log(`[disk-cache.processes] ${line}`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const start = (fixture: string, args: readonly (string | number)[], env: NodeJS.ProcessEnv = {}) =>
  startFixture(fixture, args, { env });
/** Runs a fixture to the end, which must exit 0, and parses the JSON it prints last. */
const run = <T>(fixture: string, args: readonly (string | number)[], env: NodeJS.ProcessEnv = {}) =>
  runFixture<T>(fixture, args, { env });

// ─── disk-check.ts ─────────────────────────────────────────────────────────────────────────────

type Outcome = 'hit' | 'miss' | 'wrong';
interface ReadStep {
  step: 'read';
  outcomes: Outcome[];
  hits: number;
  misses: number;
  wrong: number;
}
interface VerifyStep {
  step: 'verify';
  checked: number;
  blobs: number;
  corrupt: number[];
  missing: number[];
  orphans: number;
  damagedRecords: number;
  ok: boolean;
}
interface ListStep {
  step: 'list';
  entries: { key: string; bytes: number; node: string }[];
}
interface InfoStep {
  step: 'info';
  entries: number;
  bytes: number;
  corrupt: number;
}
interface RewriteStep {
  step: 'rewrite';
  rewritten: number[];
  failed: number[];
}
type Step = (ReadStep | VerifyStep | ListStep | InfoStep | RewriteStep | { step: 'fresh'; ok: boolean }) & {
  error?: string;
};

class Checked {
  constructor(readonly steps: Step[]) {}
  /** The `n`th step of that name. */
  nth<Name extends Step['step']>(name: Name, n = 0): Extract<Step, { step: Name }> {
    const step = this.steps.filter((each) => each.step === name)[n];
    if (!step) throw new Error(`no step ${name} #${n}`);
    return step as Extract<Step, { step: Name }>;
  }
  get errors(): string[] {
    return this.steps.flatMap((step) => (step.error ? [`${step.step}: ${step.error}`] : []));
  }
  /** One line per step, for failure messages. */
  story(): string {
    const line = (step: Step): string => {
      if (step.error) return `${step.step}: threw ${step.error.split('\n')[0]}`;
      switch (step.step) {
        case 'read':
          return `read: ${step.hits} hits, ${step.misses} misses, ${step.wrong} wrong`;
        case 'verify':
          return `verify: ${JSON.stringify({ ...step, step: undefined })}`;
        case 'list':
          return `list: ${step.entries.length} entries`;
        default:
          return `${step.step}: ${JSON.stringify({ ...step, step: undefined })}`;
      }
    };
    return `\n${this.steps.map(line).join('\n')}\n`;
  }
  /** Wrong values over every read step. */
  get wrong(): number {
    return this.steps.reduce((sum, step) => sum + (step.step === 'read' ? step.wrong : 0), 0);
  }
}

/** Opens `dir` in a fresh process and runs `steps` (see fixtures/disk-check.ts); resolves with how it exited. */
async function checkExit(
  dir: string,
  count: number,
  profile: Profile,
  steps: string[],
): Promise<{ exit: Exit; checked?: Checked }> {
  const exit = await exitOf(start('disk-check.ts', [dir, count, profile, steps.join(',')]));
  return { exit, checked: exit.code === 0 ? new Checked(lastLine<Step[]>(exit)) : undefined };
}

async function check(dir: string, count: number, profile: Profile, steps: string[]): Promise<Checked> {
  const { exit, checked } = await checkExit(dir, count, profile, steps);
  if (!checked) throw new Error(describeExit('disk-check.ts', exit));
  expect(checked.errors, checked.story()).toEqual([]);
  return checked;
}

// ─── files ─────────────────────────────────────────────────────────────────────────────────────

const blobsOf = (dir: string) => join(dir, 'v4', 'blobs');
const blobFile = (dir: string, payload: Uint8Array) => {
  const name = hash(payload);
  return join(blobsOf(dir), name.slice(0, 2), name);
};

/** Blob files and their bytes right now; files that vanish while being counted are skipped. */
function blobUsage(dir: string): { files: number; bytes: number } {
  const usage = { files: 0, bytes: 0 };
  let shards: string[] = [];
  try {
    shards = fs.readdirSync(blobsOf(dir));
  } catch {}
  for (const shard of shards) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(join(blobsOf(dir), shard));
    } catch {}
    for (const name of names) {
      try {
        usage.bytes += fs.statSync(join(blobsOf(dir), shard, name)).size;
        usage.files++;
      } catch {}
    }
  }
  return usage;
}

/** The generation of the newest index journal: one more than the compactions so far. */
function newestGeneration(dir: string): number {
  const journals = fs.readdirSync(join(dir, 'v4', 'index')).filter((name) => /^journal-\d+$/.test(name));
  return Math.max(...journals.map((name) => Number(name.slice('journal-'.length))));
}

/** `length` bytes that depend only on `seed`: damage is the same from run to run. */
function noise(length: number, seed: number): Buffer {
  const next = random(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

function flip(file: Buffer, offset: number): Buffer {
  const copy = Buffer.from(file);
  copy[offset]! ^= 0x5a;
  return copy;
}

// ─── the tests ─────────────────────────────────────────────────────────────────────────────────

describe('DiskCache across processes', () => {
  test('crash: a writer killed with SIGKILL at random moments, 200 times, leaves every entry correct or missing; verify() cleans up once and then finds nothing', async () => {
    const since = performance.now();
    const dir = join(root, 'crash');
    const count = 32;
    const kills = 200;
    const ahead = 2;
    // Writers start (≈0.4 s of CPU each under tsx) while the one before them writes: each waits
    // for a line on stdin before its loop, so the kill still lands 5 to 60 ms into writing.
    const prepare = (round: number) => {
      // A small compaction threshold: kills also land mid-compaction, leaving half-done ones and stale locks.
      const child = start('disk-crash-writer.ts', [dir, count, round], {
        MEMOFLOW_DISK_COMPACT_BYTES: '1024',
      });
      const exited = exitOf(child);
      const ready = lineFrom(child, 'ready', exited);
      ready.catch(() => {}); // awaited in its turn; a writer that dies while queued fails the test then
      return { child, exited, ready };
    };
    const queue = Array.from({ length: ahead }, (_, round) => prepare(round));
    const unexpected: string[] = [];
    const delay = random(20_260_101);
    try {
      for (let round = 0; round < kills; round++) {
        const writer = queue.shift()!;
        if (round + ahead < kills) queue.push(prepare(round + ahead));
        // A writer that cannot even open the cache the previous kill left fails the test here.
        await writer.ready;
        const writing = lineFrom(writer.child, 'writing', writer.exited);
        writer.child.stdin!.write('go\n');
        await writing;
        await sleep(5 + delay() * 55);
        writer.child.kill('SIGKILL');
        const exit = await writer.exited;
        if (exit.signal !== 'SIGKILL') unexpected.push(describeExit(`writer ${round}`, exit));
      }
    } finally {
      for (const writer of queue) writer.child.kill('SIGKILL');
    }
    const killed = seconds(since);
    // No writer died on its own (an error, a crash) before its kill.
    expect(unexpected, unexpected.slice(0, 3).join('\n')).toEqual([]);
    const temps = fs.existsSync(join(dir, 'v4', 'tmp')) ? fs.readdirSync(join(dir, 'v4', 'tmp')).length : 0;
    const generation = newestGeneration(dir);
    // Tens of compactions, some of them killed: how many depends on how much each writer wrote before its kill.
    expect(generation).toBeGreaterThan(10);

    const checked = await check(dir, count, 'crash', [
      'read',
      'list',
      'verify',
      'verify',
      'read',
      'rewrite',
      'read',
      'fresh',
      'verify',
      'list',
    ]);
    const [before, , after] = [0, 1, 2].map((n) => checked.nth('read', n));
    const [first, second] = [0, 1].map((n) => checked.nth('verify', n));
    log(
      `crash: ${kills} kills in ${killed}, checked by ${seconds(since)}; after the kills ${before!.hits} hits, ` +
        `${before!.misses} misses, ${temps} temp files left; first verify(): ${first!.orphans} orphans, ` +
        `${first!.missing.length} missing, ${first!.corrupt.length} corrupt; ${generation - 1} compactions`,
    );
    // Never a wrong or partial value, before verify(), after it, or after rewriting.
    expect(checked.wrong).toBe(0);
    expect(before!.hits).toBeGreaterThan(0);
    const keys = Array.from({ length: count }, (_, i) => keyOf(i));
    for (const entry of checked.nth('list').entries) {
      const i = keys.indexOf(entry.key);
      expect(i, entry.key).toBeGreaterThanOrEqual(0);
      expect(lengthsOfKey(i, count, 'crash')).toContain(entry.bytes);
    }
    // Blob files are renamed into place whole: a kill leaves temp files and orphans, never a torn blob.
    expect(first!.corrupt).toEqual([]);
    expect(second).toMatchObject({ ok: true, corrupt: [], missing: [], orphans: 0 });
    // Every entry left after verify() is a hit; the rest are recomputed and read back.
    expect(checked.nth('read', 1).hits).toBe(second!.checked);
    expect(checked.nth('rewrite').failed).toEqual([]);
    expect(after!.hits).toBe(count);
    expect(checked.nth('fresh').ok).toBe(true);
    // And the blob files are exactly those of the values too large for the journal: none left that no entry references.
    const last = checked.nth('verify', 2);
    expect(last).toMatchObject({ ok: true, checked: count + 1 });
    const values = new Map<string, Buffer>();
    for (const entry of checked.nth('list', 1).entries) {
      const i = entry.key === keyOf(9_999_999) ? 0 : keys.indexOf(entry.key);
      const content = contentsOfKey(i, count).find((c) => contentLength(c, 'crash') === entry.bytes)!;
      values.set(hash(contentValue(content, 'crash')), contentValue(content, 'crash'));
    }
    const inFiles = [...values.values()].filter((value) => value.length > DEFAULT_MAX_INLINE_BYTES);
    expect(inFiles.length).toBeGreaterThan(0);
    expect(inFiles.length).toBeLessThan(values.size);
    for (const value of inFiles) expect(fs.existsSync(blobFile(dir, value))).toBe(true);
    expect(blobUsage(dir).files).toBe(inFiles.length);
  }, 150_000);

  test('concurrency: 8 processes doing 10,000 operations each on the same keys (reads, writes, deletes, prunes, info, scans) while the index is compacted again and again: no error, no wrong or partial value', async () => {
    const since = performance.now();
    const dir = join(root, 'concurrency');
    const count = 64;
    const ops = 10_000;
    // A small compaction threshold: the journal is compacted (sealed, copied, replaced) many times under the writers.
    const env = { MEMOFLOW_DISK_COMPACT_BYTES: String(32 * 1024) };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        run<{ ops: number; hits: number; misses: number; wrong: string[]; errors: string[]; ms: number }>(
          'disk-concurrency.ts',
          [dir, index, ops, count],
          env,
        ),
      ),
    );
    const generation = newestGeneration(dir);
    expect(generation).toBeGreaterThan(10);
    const hammered = seconds(since);
    for (const result of results) {
      expect(result.errors, result.errors.slice(0, 3).join('\n')).toEqual([]);
      expect(result.wrong, result.wrong.slice(0, 10).join('\n')).toEqual([]);
      expect(result.ops).toBe(ops);
    }
    const hits = results.reduce((sum, result) => sum + result.hits, 0);
    // The keys overlap: every process read values the others wrote.
    expect(hits).toBeGreaterThan(8 * 1000);

    const checked = await check(dir, count, 'small', ['read', 'verify', 'verify', 'read']);
    expect(checked.wrong).toBe(0);
    const first = checked.nth('verify');
    // Without a crash, no value is ever lost: not a blob file, not a small value's record in the journal.
    expect(first.corrupt).toEqual([]);
    expect(first.missing).toEqual([]);
    expect(checked.nth('verify', 1)).toMatchObject({ ok: true, corrupt: [], missing: [], orphans: 0 });
    log(
      `concurrency: 8 × ${ops} operations in ${hammered} (${hits} checked hits), checked by ${seconds(since)}; ` +
        `first verify(): ${first.orphans} orphans, ${first.missing.length} missing; ${generation - 1} compactions`,
    );
  }, 150_000);

  describe('corruption', () => {
    const count = 20;
    /** Contents of the keys `populate` stores: key i holds content i, but every 5th key holds the next key's. */
    const contentOfKey = (i: number) => contentsOfKey(i, count)[i % 5 === 4 ? 1 : 0]!;
    const fileOfKey = (dir: string, i: number) => blobFile(dir, contentValue(contentOfKey(i), 'files'));
    /** The keys holding these contents, in order. */
    const keysOf = (damaged: number[]) =>
      Array.from({ length: count }, (_, i) => i).filter((i) => damaged.includes(contentOfKey(i)));

    test('flipped, truncated, emptied or extended blob files: their entries are misses, removed and counted, and the next run recomputes them', async () => {
      const dir = join(root, 'blob-reads');
      await check(dir, count, 'files', ['populate']);
      // Damage by content: content c is held by key c, and also by key c - 1 when c - 1 is a 5th key.
      const damage: Record<number, (file: Buffer) => Buffer> = {
        0: (file) => flip(file, file.length - 1), // last payload byte
        1: (file) => flip(file, BLOB_HEADER_BYTES), // first payload byte
        2: (file) => flip(file, 0), // magic
        3: (file) => flip(file, 4), // format version
        5: (file) => flip(file, 9), // the CRC32
        6: (file) => flip(file, 17), // the payload length
        7: (file) => file.subarray(0, file.length - 1), // truncated by one byte
        8: (file) => file.subarray(0, 10), // truncated inside the header
        11: () => Buffer.alloc(0), // emptied
        12: (file) => Buffer.concat([file, Buffer.from([0])]), // extended by one byte
        15: (file) => flip(file, Math.floor(file.length / 2)), // a byte in the middle
      };
      for (const [content, harm] of Object.entries(damage)) {
        const file = blobFile(dir, contentValue(Number(content), 'files'));
        fs.writeFileSync(file, harm(fs.readFileSync(file)));
      }
      // Keys 4, 14 and 19 share the blobs of keys 5, 15 and 0: one damaged file, two entries lost.
      const lost = new Set(keysOf(Object.keys(damage).map(Number)));
      expect([...lost]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 19]);

      const checked = await check(dir, count, 'files', ['read', 'info', 'read']);
      expect(checked.wrong).toBe(0);
      const expected = Array.from({ length: count }, (_, i) => (lost.has(i) ? 'miss' : 'hit'));
      expect(checked.nth('read').outcomes).toEqual(expected);
      expect(checked.nth('read', 1).outcomes).toEqual(expected);
      // Each damaged file was counted once and removed, with its entries.
      expect(checked.nth('info')).toMatchObject({
        corrupt: Object.keys(damage).length,
        entries: count - lost.size,
      });
      for (const i of lost) expect(fs.existsSync(fileOfKey(dir, i)), `blob of key ${i}`).toBe(false);

      // The next run finds misses, stores the values again and reads them back whole.
      const next = await check(dir, count, 'files', ['read', 'rewrite', 'read', 'verify']);
      expect(next.nth('read').outcomes).toEqual(expected);
      expect(next.nth('rewrite')).toMatchObject({ rewritten: [...lost], failed: [] });
      expect(next.nth('read', 1).hits).toBe(count);
      expect(next.nth('verify')).toMatchObject({ ok: true, checked: count });
    });

    test('verify() re-hashes every blob: damaged and missing ones are reported and removed, stray files too, and a second verify() is clean', async () => {
      const dir = join(root, 'blob-verify');
      await check(dir, count, 'files', ['populate']);
      const harm = (content: number, damage: (file: Buffer) => Buffer) => {
        const file = blobFile(dir, contentValue(content, 'files'));
        fs.writeFileSync(file, damage(fs.readFileSync(file)));
      };
      harm(1, (file) => flip(file, file.length - 1));
      harm(2, (file) => flip(file, 8));
      harm(7, (file) => file.subarray(0, 30));
      harm(15, () => Buffer.alloc(0)); // keys 14 and 15
      fs.rmSync(blobFile(dir, contentValue(10, 'files'))); // keys 9 and 10
      // A blob nobody references (a writer killed before recording it): an orphan.
      const stray = blobFile(dir, contentValue(4242, 'files'));
      fs.mkdirSync(join(stray, '..'), { recursive: true });
      fs.writeFileSync(stray, fs.readFileSync(fileOfKey(dir, 3)));

      const checked = await check(dir, count, 'files', ['verify', 'verify', 'read']);
      const first = checked.nth('verify');
      expect([...first.corrupt].sort((a, b) => a - b)).toEqual(keysOf([1, 2, 7, 15]));
      expect([...first.missing].sort((a, b) => a - b)).toEqual(keysOf([10]));
      expect(first).toMatchObject({ orphans: 1, ok: false, checked: count });
      const lost = new Set(keysOf([1, 2, 7, 10, 15]));
      expect(checked.nth('verify', 1)).toMatchObject({ ok: true, checked: count - lost.size, orphans: 0 });
      expect(checked.nth('read').outcomes).toEqual(
        Array.from({ length: count }, (_, i) => (lost.has(i) ? 'miss' : 'hit')),
      );
      expect(fs.existsSync(stray)).toBe(false);
    });

    test('a blob file replaced by another intact blob file is a miss, not the other value', async () => {
      const dir = join(root, 'blob-swap');
      await check(dir, count, 'files', ['populate']);
      // Key 1's blob file now holds content 3: intact, with a valid header and CRC32, but not a value of key 1.
      fs.copyFileSync(fileOfKey(dir, 3), fileOfKey(dir, 1));
      const checked = await check(dir, count, 'files', ['read', 'verify']);
      // The read sees the header names another blob: a miss, and the entry and the file are removed.
      expect(checked.nth('read').outcomes[1]).toBe('miss');
      expect(checked.nth('verify').ok).toBe(true);
    });

    test('small values damaged inside the journal: their entries are misses, the rest hits, and verify() is clean after one pass', async () => {
      const dir = join(root, 'inline-damage');
      await check(dir, count, 'small', ['populate']);
      const journal = join(dir, 'v4', 'index', `journal-${String(newestGeneration(dir)).padStart(10, '0')}`);
      const bytes = fs.readFileSync(journal);
      // Three contents kept in the journal: a byte in the middle of each is flipped where it lies.
      const damaged = Array.from({ length: count }, (_, c) => c)
        .filter((c) => contentLength(c, 'small') <= DEFAULT_MAX_INLINE_BYTES)
        .slice(0, 3);
      expect(damaged).toHaveLength(3);
      for (const content of damaged) {
        const value = contentValue(content, 'small');
        const at = bytes.indexOf(value);
        expect(at, `content ${content} in the journal`).toBeGreaterThan(0);
        bytes[at + (value.length >> 1)]! ^= 0x5a;
      }
      fs.writeFileSync(journal, bytes);
      const lost = new Set(keysOf(damaged));

      const checked = await check(dir, count, 'small', ['read', 'verify', 'verify', 'read']);
      expect(checked.wrong).toBe(0);
      const expected = Array.from({ length: count }, (_, i) => (lost.has(i) ? 'miss' : 'hit'));
      expect(checked.nth('read').outcomes).toEqual(expected);
      expect(checked.nth('verify')).toMatchObject({ ok: false, damagedRecords: damaged.length });
      expect(checked.nth('verify', 1)).toMatchObject({ ok: true, checked: count - lost.size });
      expect(checked.nth('read', 1).outcomes).toEqual(expected);
    });

    describe('a damaged index (v4/index/journal-*) opened by a new process: it does not crash, returns no wrong value, and verify() cleans up', () => {
      const keys = 300;
      const template = join(root, 'index-template');
      const KIB = 1024;
      beforeAll(async () => {
        const populated = await check(template, keys, 'small', ['populate', 'read']);
        expect(populated.nth('read').hits).toBe(keys);
      });
      const journalOf = (index: string) => join(index, 'journal-0000000001');
      const middle = (file: Buffer) => Math.floor(file.length / 2);
      const overwrite = (file: Buffer, offset: number, bytes: Buffer) => {
        const copy = Buffer.from(file);
        bytes.copy(copy, offset);
        return copy;
      };
      const journalDamage: Record<string, (file: Buffer) => Buffer> = {
        'random bytes over 4 KiB in the middle': (file) => overwrite(file, middle(file), noise(4 * KIB, 1)),
        'random bytes over 16 KiB in the middle': (file) =>
          overwrite(file, middle(file) - 8 * KIB, noise(16 * KIB, 2)),
        'zeros over 16 KiB in the middle': (file) =>
          overwrite(file, middle(file) - 8 * KIB, Buffer.alloc(16 * KIB)),
        'one byte flipped in every 5th KiB': (file) => {
          const copy = Buffer.from(file);
          const next = random(3);
          for (let at = 2 * KIB; at < copy.length; at += 5 * KIB)
            copy[at + Math.floor(next() * KIB)]! ^= 0xa5;
          return copy;
        },
        'the first 4 KiB overwritten with random bytes': (file) => overwrite(file, 0, noise(4 * KIB, 4)),
        'truncated to half': (file) => file.subarray(0, middle(file)),
        'truncated in the middle of its last record': (file) => file.subarray(0, file.length - 7),
        'truncated to 100 bytes': (file) => file.subarray(0, 100),
        emptied: () => Buffer.alloc(0),
        'replaced with random bytes of the same size': (file) => noise(file.length, 6),
        'extended with 64 KiB of random bytes': (file) => Buffer.concat([file, noise(64 * KIB, 7)]),
        'a record of every 7 duplicated, one of every 11 dropped': (file) => {
          const records: Buffer[] = [];
          for (let at = 0; at + 12 <= file.length; ) {
            const end = at + 12 + file.readUInt32LE(at + 8);
            records.push(file.subarray(at, end));
            at = end;
          }
          return Buffer.concat(
            records.flatMap((record, i) => (i % 11 === 5 ? [] : i % 7 === 3 ? [record, record] : [record])),
          );
        },
      };
      const damages: Record<string, (index: string) => void> = {
        ...Object.fromEntries(
          Object.entries(journalDamage).map(([name, damage]) => [
            `journal: ${name}`,
            (index: string) => fs.writeFileSync(journalOf(index), damage(fs.readFileSync(journalOf(index)))),
          ]),
        ),
        // Key 1's Put record: its key is in the clear, so the record can be found and one byte of its blob hash flipped.
        "journal: a byte flipped in key 1's blob hash": (index) => {
          const data = fs.readFileSync(journalOf(index));
          const at = data.indexOf(Buffer.from(keyOf(1), 'latin1'));
          expect(at).toBeGreaterThan(0);
          data[at + keyOf(1).length + 3]! ^= 0x01;
          fs.writeFileSync(journalOf(index), data);
        },
        'journal deleted': (index) => fs.rmSync(journalOf(index)),
        'a newer generation of random bytes next to it': (index) =>
          fs.writeFileSync(join(index, 'journal-0000000002'), noise(32 * KIB, 8)),
        'a compaction lock left by a dead process': (index) => {
          fs.writeFileSync(join(index, 'compact.lock'), '999999999 0');
          fs.writeFileSync(
            journalOf(index),
            journalDamage['random bytes over 4 KiB in the middle']!(fs.readFileSync(journalOf(index))),
          );
        },
      };

      for (const [name, damage] of Object.entries(damages)) {
        test(name, async () => {
          const dir = join(root, `index-${name.replace(/[^a-z0-9]+/gi, '-')}`);
          fs.cpSync(template, dir, { recursive: true });
          damage(join(dir, 'v4', 'index'));
          const steps = ['read', 'list', 'info', 'verify', 'verify', 'read', 'rewrite', 'read'];
          const { exit, checked } = await checkExit(dir, keys, 'small', steps);
          // Not killed by a signal (SIGSEGV, SIGBUS, SIGABRT), not ended by an uncaught error.
          expect({ signal: exit.signal, code: exit.code }, describeExit('disk-check.ts', exit)).toEqual({
            signal: null,
            code: 0,
          });
          const story = checked!.story();
          expect(checked!.wrong, story).toBe(0);
          expect(checked!.errors, story).toEqual([]);
          const second = checked!.nth('verify', 1);
          expect(second, story).toMatchObject({ ok: true, corrupt: [], missing: [], orphans: 0 });
          expect(checked!.nth('read', 1).hits, story).toBe(second.checked);
          expect(checked!.nth('rewrite').failed, story).toEqual([]);
          expect(checked!.nth('read', 2).hits, story).toBe(keys);
        });
      }
    });
  });

  test('limits: with maxBytes, 2 processes push 10× the bound through; the blob files stay within it and the least recently used go first', async () => {
    const since = performance.now();
    const dir = join(root, 'limits');
    const maxBytes = 1024 * 1024;
    const writes = 220;
    const pace = 20;
    const HOT = 999_999;
    const idOf = (writer: number, n: number) => 1_000_000 + writer * 100_000 + n;
    const volume = [0, 1].reduce(
      (sum, writer) =>
        sum +
        Array.from({ length: writes }, (_, n) => contentLength(idOf(writer, n), 'limits')).reduce(
          (a, b) => a + b,
        ),
      0,
    );
    expect(volume).toBeGreaterThanOrEqual(10 * maxBytes);

    // Samples the blob files every 10 ms while the writers run.
    let peak = { files: 0, bytes: 0 };
    let samples = 0;
    let over = 0;
    const sampler = setInterval(() => {
      const usage = blobUsage(dir);
      samples++;
      if (usage.bytes - usage.files * BLOB_HEADER_BYTES > peak.bytes - peak.files * BLOB_HEADER_BYTES)
        peak = usage;
      if (usage.bytes - usage.files * BLOB_HEADER_BYTES > maxBytes) over++;
    }, 10);
    let results: { writes: number; bytes: number; hot: { hits: number; misses: number; wrong: number } }[];
    try {
      results = await Promise.all(
        [0, 1].map((writer) =>
          run<(typeof results)[number]>('disk-limits-writer.ts', [
            dir,
            writer,
            writes,
            maxBytes,
            pace,
            writer === 0 ? 1 : 0,
          ]),
        ),
      );
    } finally {
      clearInterval(sampler);
    }
    const final = blobUsage(dir);
    log(
      `limits: ${(volume / maxBytes).toFixed(1)} × maxBytes through in ${seconds(since)}; peak ${peak.bytes} bytes ` +
        `in ${peak.files} blob files (bound ${maxBytes} + ${BLOB_HEADER_BYTES} per file); payloads over the bound in ` +
        `${over} of ${samples} samples; ` +
        `after: ${final.bytes} bytes in ${final.files} files`,
    );
    expect(results.map((result) => result.writes)).toEqual([writes, writes]);
    // The hot key, read before every write of writer 0, was never evicted.
    expect(results[0]!.hot).toEqual({ hits: writes, misses: 0, wrong: 0 });
    // On disk: a value's blob file is written before the transaction that records it and evicts
    // for it, so while writing the files may exceed the bound by the values being written (one
    // per writing process, ≤ 32 KiB each) and their headers; once the writers are done, only the headers.
    expect(peak.bytes - peak.files * BLOB_HEADER_BYTES).toBeLessThanOrEqual(maxBytes + 2 * 32 * 1024);
    expect(final.bytes - final.files * BLOB_HEADER_BYTES).toBeLessThanOrEqual(maxBytes);

    const checked = await check(dir, 0, 'limits', ['list', 'verify']);
    const entries = checked.nth('list').entries;
    expect(checked.nth('verify')).toMatchObject({ ok: true, checked: entries.length });
    expect(entries.reduce((sum, entry) => sum + entry.bytes, 0)).toBeLessThanOrEqual(maxBytes);
    expect(entries.map((entry) => entry.key)).toContain(keyOf(HOT));
    // Least recently used first: what is left of each writer is its most recent writes, without a gap.
    const ids = new Map<string, [number, number]>();
    for (const writer of [0, 1])
      for (let n = 0; n < writes; n++) ids.set(keyOf(idOf(writer, n)), [writer, n]);
    for (const writer of [0, 1]) {
      const kept = entries
        .map((entry) => ids.get(entry.key))
        .filter((id) => id?.[0] === writer)
        .map((id) => id![1])
        .sort((a, b) => a - b);
      expect(kept.length).toBeGreaterThan(5);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => writes - kept.length + k));
    }
  }, 90_000);
});
