import { describe, expect, test } from 'vitest';
import { FairLimiter } from '../src/run/fair-limiter.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tasks of `ms` that record, in `started`, the names they were given when they start. */
function recorder(ms: number) {
  const started: string[] = [];
  const work = (name: string) => () => {
    started.push(name);
    return sleep(ms);
  };
  return { started, work };
}

describe('FairLimiter', () => {
  test('runs at most `concurrency` tasks at once, and every task', async () => {
    const limiter = new FairLimiter(3);
    let now = 0;
    let max = 0;
    const task = async (value: number) => {
      max = Math.max(max, ++now);
      await sleep(2);
      now--;
      return value * 2;
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => limiter.run(i % 2 ? 'a' : 'b', () => task(i))),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(max).toBe(3);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  test("a newcomer takes the next free slot, not the end of another owner's queue", async () => {
    const limiter = new FairLimiter(2);
    const { started, work } = recorder(2);
    const items = Array.from({ length: 50 }, (_, i) => limiter.run('map', work(`item ${i}`)));
    expect([limiter.active, limiter.pending]).toEqual([2, 48]);
    const node = limiter.run('node', work('node'));
    await node;
    // Two items held the slots; the first slot to free went to the node.
    expect(started.indexOf('node')).toBe(2);
    await Promise.all(items);
    expect(started.filter((name) => name !== 'node')).toEqual(
      Array.from({ length: 50 }, (_, i) => `item ${i}`),
    );
  });

  test('owners with work waiting take the free slots in turn, a newcomer first', async () => {
    const limiter = new FairLimiter(1);
    const { started, work } = recorder(1);
    const all = [
      limiter.run('a', work('a0')),
      ...['a1', 'a2', 'a3'].map((name) => limiter.run('a', work(name))),
      ...['b0', 'b1'].map((name) => limiter.run('b', work(name))),
      limiter.run('c', work('c0')),
    ];
    await Promise.all(all);
    // b and c started waiting holding no slot (a held one): each goes before a's next task.
    expect(started).toEqual(['a0', 'b0', 'a1', 'c0', 'b1', 'a2', 'a3']);
  });

  test('a stream of newcomers cannot starve an owner already waiting: every other slot is its', async () => {
    const limiter = new FairLimiter(1);
    const { started, work } = recorder(1);
    const first = limiter.run('hold', work('hold'));
    const items = Array.from({ length: 4 }, (_, i) => limiter.run('map', work(`item ${i}`)));
    const nodes = Array.from({ length: 4 }, (_, i) => limiter.run(`node ${i}`, work(`node ${i}`)));
    await Promise.all([first, ...items, ...nodes]);
    expect(started).toEqual([
      'hold',
      'item 0',
      'item 1',
      'node 0',
      'item 2',
      'node 1',
      'item 3',
      'node 2',
      'node 3',
    ]);
  });

  test('a task that throws, at once or later, rejects its run and frees its slot', async () => {
    const limiter = new FairLimiter(1);
    const thrown = limiter.run('a', () => {
      throw new Error('at once');
    });
    const rejected = limiter.run('b', () => Promise.reject(new Error('later')));
    const after = limiter.run('c', () => 'still runs');
    await expect(thrown).rejects.toThrow('at once');
    await expect(rejected).rejects.toThrow('later');
    await expect(after).resolves.toBe('still runs');
    expect(limiter.active).toBe(0);
  });

  test('refuses a concurrency that is not a whole number ≥ 1, naming it', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => new FairLimiter(concurrency)).toThrow(
        new TypeError(`Expected \`concurrency\` to be a whole number ≥ 1, got ${concurrency}.`),
      );
    }
  });
});
