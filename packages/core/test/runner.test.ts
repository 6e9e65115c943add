import { afterEach, describe, expect, test, vi } from 'vitest';
import { func, MemoryCache, NodeFailedError, Pipeline, Runner } from '../src/index.ts';
import { basic, count, forgetRuns, ran } from './support/counted-nodes.ts';

/** How many nodes ran at once. Module-level: node functions may read it. */
const active = { now: 0, max: 0 };
async function busy(ms: number): Promise<void> {
  active.now++;
  active.max = Math.max(active.max, active.now);
  await new Promise((resolve) => setTimeout(resolve, ms));
  active.now--;
}
afterEach(() => {
  forgetRuns();
  active.max = 0;
  vi.restoreAllMocks();
});

describe('running', () => {
  test('runs only the ancestors of the requested outputs, and returns them', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const { outputs } = await runner.run(basic, { size: 5, threshold: 2 }, { outputs: ['total'] });
    expect(outputs).toEqual({ total: 9 });
    expect([count('rows'), count('clean'), count('total'), count('unrelated')]).toEqual([1, 1, 1, 0]);
  });

  test('a second run is all hits; a changed input recomputes only what depends on it', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    await runner.run(basic, { size: 5, threshold: 2 });
    const again = await runner.run(basic, { size: 5, threshold: 2 });
    expect(again.report.nodes.map((n) => n.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    // Without `outputs`, a run returns the pipeline's final outputs: those no node takes.
    expect(again.outputs).toEqual({ total: 9, unrelated: 10 });
    const changed = await runner.run(basic, { size: 5, threshold: 3 });
    const byNode = Object.fromEntries(changed.report.nodes.map((n) => [n.node, n]));
    expect(byNode.rows!.status).toBe('hit');
    expect(byNode.clean).toMatchObject({ status: 'miss', reason: 'inputs', changed: ['input `threshold`'] });
    expect(byNode.total).toMatchObject({ status: 'miss', reason: 'deps', changed: ['upstream `clean`'] });
    expect(changed.outputs.total).toBe(7);
  });

  test('sync and async nodes both run, and results survive in a new Runner on the same backend', async () => {
    const backend = new MemoryCache();
    await new Runner({ cache: { backend } }).run(basic, { size: 3, threshold: 0 });
    const { report } = await new Runner({ cache: { backend } }).run(basic, { size: 3, threshold: 0 });
    expect(report.nodes.every((n) => n.status === 'hit')).toBe(true);
    expect(count('clean')).toBe(1);
  });

  test('independent nodes run concurrently, bounded by `concurrency`', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) =>
      func({ output: `leaf${i}`, inputs: ['seed'] }, async (seed: number) => {
        await busy(30);
        return seed;
      }),
    );
    await new Runner({ concurrency: 2, cache: { enabled: false } }).run(new Pipeline(nodes), { seed: 1 });
    expect(active.max).toBe(2);
    active.max = 0;
    await new Runner({ concurrency: 6, cache: { enabled: false } }).run(new Pipeline(nodes), { seed: 1 });
    expect(active.max).toBe(6);
  });

  test("a node's compute time leaves out its wait for a free slot", async () => {
    const nodes = Array.from({ length: 4 }, (_, i) =>
      func({ output: `slow${i}`, inputs: ['seed'] }, async (seed: number) => {
        await busy(60);
        return seed;
      }),
    );
    const { report } = await new Runner({ concurrency: 1, cache: { enabled: false } }).run(
      new Pipeline(nodes),
      {
        seed: 1,
      },
    );
    // Run one after another, the last waited ≈180 ms for its slot: that is not its compute time.
    for (const node of report.nodes) expect(node.computeMs).toBeLessThan(150);
  });

  test('missing inputs are reported all at once, before anything runs', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const error = await runner.run(basic, {}).catch((e) => e);
    expect(error).toMatchObject({
      code: 'MISSING_INPUT',
      missing: { size: ['rows', 'unrelated'], threshold: ['clean'] },
    });
    expect(error.message).toContain('`threshold` (needed by `clean`)');
    expect(count('rows') + count('unrelated')).toBe(0);
  });

  test('an unknown requested output is a CONFIG error', async () => {
    await expect(
      // @ts-expect-error `nope` is not an output of `basic`: the runtime check under test.
      new Runner().run(basic, { size: 1, threshold: 0 }, { outputs: ['nope'] }),
    ).rejects.toMatchObject({ code: 'CONFIG' });
  });

  test('pipelines compose: a pipeline is a node of another', async () => {
    const double = func({ output: 'double' }, (total: number) => total * 2);
    const { outputs } = await new Runner({ cache: { enabled: false } }).run(
      new Pipeline([basic, double]),
      { size: 4, threshold: 0 },
      { outputs: ['double'] },
    );
    expect(outputs).toEqual({ double: 12 });
  });
});

describe('early cutoff', () => {
  test('an upstream node that recomputes to the same bytes does not invalidate its children', async () => {
    const backend = new MemoryCache();
    const sourceV1 = func({ output: 'source' }, async (n: number) => [n, n]);
    const sourceV2 = func({ output: 'source' }, async (n: number) => [n, n].map((x) => x));
    const summed = func({ output: 'summed' }, (source: number[]) => {
      ran('summed');
      return source[0]! + source[1]!;
    });
    const runner = new Runner({ cache: { backend } });
    await runner.run(new Pipeline([sourceV1, summed]), { n: 2 });
    const { report } = await runner.run(new Pipeline([sourceV2, summed]), { n: 2 });
    expect(report.nodes.map((n) => [n.node, n.status, n.reason])).toEqual([
      ['source', 'miss', 'code'],
      ['summed', 'hit', undefined],
    ]);
    expect(count('summed')).toBe(1);
  });
});

describe('per-item caching (map)', () => {
  const features = func(
    { output: 'features', map: 'records' },
    async (records: { id: number; text: string }) => {
      ran('features');
      return records.text.length * records.id;
    },
  );
  const records = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, text: `record ${i}` }));

  test('adding one item to a 1,000-item input computes one item; the output keeps the input order', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const pipeline = new Pipeline([features]);
    const first = await runner.run(pipeline, { records: records(1000) });
    expect(count('features')).toBe(1000);
    expect(first.report.nodes[0]).toMatchObject({
      status: 'miss',
      reason: 'new',
      items: { total: 1000, hits: 0, misses: 1000 },
    });
    const more = [...records(1000), { id: 1000, text: 'one more' }];
    const second = await runner.run(pipeline, { records: more });
    expect(count('features')).toBe(1001);
    expect(second.report.nodes[0]).toMatchObject({
      status: 'miss',
      reason: 'inputs',
      items: { total: 1001, hits: 1000, misses: 1 },
    });
    expect(second.outputs.features).toEqual(more.map((r) => r.text.length * r.id));
  });

  test('reordering items computes none, and the output follows the new order', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const pipeline = new Pipeline([features]);
    await runner.run(pipeline, { records: records(50) });
    const reversed = records(50).reverse();
    const { outputs, report } = await runner.run(pipeline, { records: reversed });
    expect(count('features')).toBe(50);
    expect(report.nodes[0]).toMatchObject({ status: 'hit', items: { total: 50, hits: 50, misses: 0 } });
    expect(outputs.features).toEqual(reversed.map((r) => r.text.length * r.id));
  });

  test('items are hashed by content, not identity: equal copies hit', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    await runner.run(new Pipeline([features]), { records: records(10) });
    const { report } = await runner.run(new Pipeline([features]), { records: structuredClone(records(10)) });
    expect(report.nodes[0]!.status).toBe('hit');
  });

  test('with perItemCaching off, a mapped node is cached as one value', async () => {
    const backend = new MemoryCache();
    const runner = new Runner({ cache: { backend, perItemCaching: false } });
    await runner.run(new Pipeline([features]), { records: records(10) });
    expect((await backend.info()).entries).toBe(1);
    const { report } = await runner.run(new Pipeline([features]), {
      records: [...records(10), { id: 10, text: 'x' }],
    });
    expect(report.nodes[0]!.status).toBe('miss');
    expect(count('features')).toBe(21);
  });

  test('mapping over something that is not an array fails the node, saying so', async () => {
    // @ts-expect-error `records` is not an array: the runtime check under test.
    const error = await new Runner().run(new Pipeline([features]), { records: 'nope' }).catch((e) => e);
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.message).toMatch(/maps over `records`, which is "nope", not an array/);
  });
});

describe('failures', () => {
  const prepare = func({ output: 'prepared' }, async (seed: number) => {
    ran('prepared');
    return seed + 1;
  });
  const slowBranch = func({ output: 'slow' }, async (prepared: number) => {
    await busy(60);
    ran('slow');
    return prepared * 10;
  });
  const broken = func({ output: 'broken' }, async (prepared: number) => {
    ran('broken');
    if (prepared > 0) throw new RangeError('bad batch');
    return prepared;
  });
  const after = func({ output: 'after' }, (broken: number) => {
    ran('after');
    return broken;
  });
  const failing = new Pipeline([prepare, slowBranch, broken, after]);

  test('a node that throws rejects the run with NODE_FAILED, its error as cause, after running nodes finish', async () => {
    const backend = new MemoryCache();
    const error = await new Runner({ cache: { backend } }).run(failing, { seed: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error).toMatchObject({ code: 'NODE_FAILED', node: 'broken' });
    expect(error.cause).toBeInstanceOf(RangeError);
    const statuses = Object.fromEntries(error.report.nodes.map((n: any) => [n.node, n.status]));
    expect(statuses).toEqual({ prepared: 'miss', slow: 'miss', broken: 'failed', after: 'skipped' });
    // The run resumes from what finished: the slow branch, already running, finished and was stored.
    const again = await new Runner({ cache: { backend } }).run(failing, { seed: 1 }, { outputs: ['slow'] });
    expect(again.report.nodes.map((n) => n.status)).toEqual(['hit', 'hit']);
    expect(count('slow')).toBe(1);
  });

  test('a failed node is never cached', async () => {
    const backend = new MemoryCache();
    const runner = new Runner({ cache: { backend } });
    await runner.run(failing, { seed: 1 }).catch(() => {});
    await runner.run(failing, { seed: 1 }).catch(() => {});
    expect(count('broken')).toBe(2);
    expect(count('prepared')).toBe(1);
  });

  test('an AbortSignal stops scheduling and rejects with its reason', async () => {
    const controller = new AbortController();
    const chain = new Pipeline([
      prepare,
      slowBranch,
      func({ output: 'final' }, (slow: number) => {
        ran('final');
        return slow;
      }),
    ]);
    const running = new Runner({ cache: { enabled: false } }).run(
      chain,
      { seed: 1 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('stop now')), 20);
    await expect(running).rejects.toThrow('stop now');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(count('final')).toBe(0);
  });
});

describe('cache modes', () => {
  test('`cache: { enabled: false }` runs everything without touching the backend', async () => {
    const backend = new MemoryCache();
    const { report } = await new Runner({ cache: { enabled: false, backend } }).run(basic, {
      size: 3,
      threshold: 1,
    });
    expect(report.nodes.map((n) => n.status)).toEqual(['disabled', 'disabled', 'disabled', 'disabled']);
    expect((await backend.info()).entries).toBe(0);
  });

  test("a node's own cache option wins over the runner's", async () => {
    const backend = new MemoryCache();
    const volatile = func({ output: 'volatile', cache: false }, (seed: number) => {
      ran('volatile');
      return seed;
    });
    const forced = func({ output: 'forced', cache: 'recompute' }, (volatile: number) => {
      ran('forced');
      return volatile;
    });
    const runner = new Runner({ cache: { backend } });
    await runner.run(new Pipeline([volatile, forced]), { seed: 1 });
    const { report } = await runner.run(new Pipeline([volatile, forced]), { seed: 1 });
    expect(report.nodes.map((n) => [n.status, n.reason])).toEqual([
      ['disabled', undefined],
      ['miss', 'recompute'],
    ]);
    expect([count('volatile'), count('forced')]).toEqual([2, 2]);
  });

  test("`retention: 'latest'` keeps one entry per node", async () => {
    const backend = new MemoryCache();
    const latest = func({ output: 'latest', retention: 'latest' }, (seed: number) => seed * 2);
    const runner = new Runner({ cache: { backend } });
    await runner.run(new Pipeline([latest]), { seed: 1 });
    await runner.run(new Pipeline([latest]), { seed: 2 });
    await runner.run(new Pipeline([latest]), { seed: 3 });
    expect((await backend.info()).entries).toBe(1);
  });

  test('an evicted entry is a miss with reason `evicted`', async () => {
    const backend = new MemoryCache();
    const runner = new Runner({ cache: { backend } });
    const first = await runner.run(basic, { size: 2, threshold: 0 }, { outputs: ['rows'] });
    await backend.delete(first.report.nodes[0]!.key!);
    const { report } = await runner.run(basic, { size: 2, threshold: 0 }, { outputs: ['rows'] });
    expect(report.nodes[0]).toMatchObject({ status: 'miss', reason: 'evicted' });
  });
});

describe('what the user sees', () => {
  test('`verbose: true` prints one line per run to stderr', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      lines.push(String(chunk));
      return true;
    });
    const runner = new Runner({ cache: { backend: new MemoryCache(), verbose: true } });
    await runner.run(basic, { size: 3, threshold: 1 }, { outputs: ['total'] });
    await runner.run(basic, { size: 3, threshold: 1 }, { outputs: ['total'] });
    vi.restoreAllMocks();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[CACHE\] rows: ✗ MISS new \((<1|\d+)ms\) \| clean: ✗ MISS new/);
    expect(lines[1]).toBe('[CACHE] rows: ✓ HIT | clean: ✓ HIT | total: ✓ HIT\n');
  });

  test('with `progress: true`, a long run draws a live progress line on stderr and clears it', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => {
      writes.push(String(chunk));
      return true;
    });
    const slow = func({ output: 'slowStep' }, async (seed: number) => {
      await busy(250);
      return seed;
    });
    await new Runner({ progress: true, cache: { enabled: false } }).run(new Pipeline([slow]), { seed: 1 });
    vi.restoreAllMocks();
    expect(writes.some((chunk) => /memoflow ▸ 0\/1 nodes.*running slowStep/.test(chunk))).toBe(true);
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  test('without a TTY, nothing but the verbose line is written', async () => {
    const writes = vi.spyOn(process.stderr, 'write');
    await new Runner({ cache: { backend: new MemoryCache() } }).run(basic, { size: 3, threshold: 1 });
    expect(writes).not.toHaveBeenCalled();
  });

  test('the report records time saved and bytes read by hits, and renders as text, Markdown and Mermaid', async () => {
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    await runner.run(basic, { size: 3, threshold: 1 });
    const { report } = await runner.run(basic, { size: 3, threshold: 1 });
    for (const node of report.nodes) {
      expect(node.savedMs).toBeGreaterThanOrEqual(0);
      expect(node.bytesRead).toBeGreaterThan(0);
    }
    expect(report.edges).toEqual(
      expect.arrayContaining([
        ['rows', 'clean'],
        ['clean', 'total'],
      ]),
    );
    expect(report.toText()).toContain('4 nodes: 4 hit');
    expect(report.toMarkdown()).toContain('```mermaid');
    expect(JSON.parse(JSON.stringify(report)).nodes).toHaveLength(4);
  });
});

describe('cache.env: environment variables every node depends on', () => {
  const NAME = 'MEMOFLOW_TEST_MODEL_VERSION';
  afterEach(() => {
    delete process.env[NAME];
  });

  test('a change of one of them misses every node, naming it; its old value hits again', async () => {
    const runner = new Runner({ concurrency: 1, cache: { backend: new MemoryCache(), env: [NAME] } });
    const inputs = { size: 4, threshold: 1 };
    const reasons = async () =>
      (await runner.run(basic, inputs)).report.nodes.map(({ node, status, reason, changed }) => ({
        node,
        status,
        reason,
        changed,
      }));
    process.env[NAME] = 'v1';
    expect((await reasons()).every((node) => node.status === 'miss' && node.reason === 'new')).toBe(true);
    expect((await reasons()).every((node) => node.status === 'hit')).toBe(true);
    process.env[NAME] = 'v2';
    for (const node of await reasons()) {
      expect(node).toMatchObject({ status: 'miss', reason: 'env', changed: [`env \`${NAME}\``] });
    }
    process.env[NAME] = 'v1';
    expect((await reasons()).every((node) => node.status === 'hit')).toBe(true);
  });

  test('anything but a list of names is refused with a CONFIG error', () => {
    expect(() => new Runner({ cache: { env: 'NODE_ENV' as unknown as string[] } })).toThrow(
      expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('cache.env') }),
    );
  });
});
