import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { savedTimeTests } from '../../conformance/src/index.ts';
import { DiskCache, func, MemoryCache, Pipeline, Runner, TieredCache } from '../src/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

/** When things happened, in ms since `begin()`: kept out of the nodes' code, whose hash would warn of the clock. */
class Timeline {
  start = 0;
  readonly marks: Record<string, number[]> = {};
  begin(): void {
    this.start = performance.now();
  }
  mark(what: string): void {
    this.marks[what] ??= [];
    this.marks[what].push(performance.now() - this.start);
  }
  /** The first time `what` happened. */
  at(what: string): number {
    return this.marks[what]![0]!;
  }
}

/**
 * The scenario, scaled down: 21 nodes of 60 ms (`first`, then `independent`, then a chain
 * of 19) and two nodes mapped over 200 items of 10 ms, all on 4 slots. `independent` becomes ready
 * when `first` is done, while ~390 items wait.
 */
function scenario() {
  const timeline = new Timeline();
  const m1 = func({ output: 'm1', map: 'records' }, async (records: number) => {
    timeline.mark('item');
    await sleep(10);
    return records * 2;
  });
  const m2 = func({ output: 'm2', map: 'records' }, async (records: number) => {
    timeline.mark('item');
    await sleep(10);
    return records * 3;
  });
  const first = func({ output: 'first' }, async (seed: number) => {
    await sleep(60);
    timeline.mark('first done');
    return seed + 1;
  });
  const independent = func({ output: 'independent' }, async (first: number) => {
    timeline.mark('independent starts');
    await sleep(60);
    return first + 1;
  });
  const chain = Array.from({ length: 19 }, (_, i) =>
    func({ output: `n${i + 2}`, inputs: [i === 0 ? 'independent' : `n${i + 1}`] }, async (value: number) => {
      await sleep(60);
      return value + 1;
    }),
  );
  const pipeline = new Pipeline([m1, m2, first, independent, ...chain]);
  const inputs = { seed: 1, records: Array.from({ length: 200 }, (_, i) => i) };
  return { timeline, pipeline, inputs };
}

describe('fair scheduling of nodes and items', () => {
  test("an independent node that becomes ready starts at once, not behind another node's items", async () => {
    const { timeline, pipeline, inputs } = scenario();
    const runner = new Runner({ concurrency: 4, cache: { backend: new MemoryCache() } });
    timeline.begin();
    const { report } = await runner.run(pipeline, inputs);
    expect(report.nodes).toHaveLength(23);
    expect(report.nodes.map((node) => node.status)).toEqual(Array(23).fill('miss'));
    const items = timeline.marks.item!;
    expect(items).toHaveLength(400);
    const ready = timeline.at('first done');
    const started = timeline.at('independent starts');
    // The issue's own bound (it started at 7.9 s, behind the items, before).
    expect(started).toBeLessThan(500);
    // And, whatever the machine's speed: at most `concurrency` items took a slot in between.
    expect(items.filter((at) => at >= ready && at <= started).length).toBeLessThanOrEqual(4);
    // The mapped nodes kept their share meanwhile: items were still starting after it.
    expect(Math.max(...items)).toBeGreaterThan(started);
  });

  test('the progress line names only nodes holding a slot, and a mapped node with its items done', async () => {
    const chunks: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    const m1 = func({ output: 'm1', map: 'records' }, async (records: number) => {
      await sleep(15);
      return records;
    });
    // Five nodes ready from the start, as in the issue; with one slot, one computes at a time.
    const waiting = Array.from({ length: 5 }, (_, i) =>
      func({ output: `w${i}`, inputs: ['seed'] }, async (seed: number) => {
        await sleep(150);
        return seed + i;
      }),
    );
    const after = func({ output: 'after' }, (m1: number[]) => m1.length);
    const runner = new Runner({ concurrency: 1, progress: true, cache: { backend: new MemoryCache() } });
    const records = Array.from({ length: 40 }, (_, i) => i);
    await runner.run(new Pipeline([m1, ...waiting, after]), { seed: 1, records });
    vi.restoreAllMocks();

    const lines = chunks.map((chunk) => chunk.replace('\r\x1b[K', '')).filter((line) => line !== '');
    const running = lines.map((line) => /running (.*) · [\d.]+s$/.exec(line)?.[1]).filter(Boolean);
    expect(running.length).toBeGreaterThan(3);
    // One slot: never two names, never "+n".
    for (const names of running) expect(names).toMatch(/^(w\d|m1 \d+\/40)$/);
    expect(running.some((names) => /^m1 \d+\/40$/.test(names!))).toBe(true);
    expect(running.some((names) => /^w\d$/.test(names!))).toBe(true);
    const counts = running.flatMap((names) => /^m1 (\d+)\/40$/.exec(names!)?.[1] ?? []).map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });
});

describe('saved time of a mapped node', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'memoflow-fairness-'));
    dirs.push(dir);
    return dir;
  };

  savedTimeTests('MemoryCache (peek)', () => ({ filled: new MemoryCache() }));
  savedTimeTests('DiskCache (getMany)', () => ({ filled: new DiskCache({ dir: freshDir() }) }));
  savedTimeTests('TieredCache (peek on the memory tier)', () => ({
    filled: new TieredCache([new MemoryCache(), new DiskCache({ dir: freshDir() })]),
  }));
  savedTimeTests('TieredCache (an empty memory tier over the disk the cold run filled)', () => {
    const dir = freshDir();
    return {
      filled: new TieredCache([new MemoryCache(), new DiskCache({ dir })]),
      reread: new TieredCache([new MemoryCache(), new DiskCache({ dir })]),
    };
  });
});
