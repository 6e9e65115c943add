/**
 * The UI server in this process, without a browser: its options' errors, the JSON API on a real
 * MemoryCache after real runs, the preview limit, and a live event when a run is recorded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { func, MemoryCache, Pipeline, Runner } from '@memoflow/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startUi, type UiServer } from '../src/index.ts';
import type { NodeDetail, RunDiffView, StatusData, ValuePreview } from '../src/types.ts';

const words = func({ output: 'words' }, (text: string) => text.split(' '));
const lengths = func({ output: 'lengths', map: 'words' }, (words: string) => words.length);
const longest = func({ output: 'longest' }, (lengths: number[]) => Math.max(...lengths));
const pipeline = new Pipeline([words, lengths, longest]);

const LONG_WORD = 'x'.repeat(100);

/** A folder holding only an index.html: the API needs no real page. */
const assets = mkdtempSync(join(tmpdir(), 'memoflow-ui-assets-'));
writeFileSync(join(assets, 'index.html'), '<!doctype html><title>page</title>');
afterAll(() => rmSync(assets, { recursive: true, force: true }));

describe('startUi options', () => {
  test('a port out of range is a UiError naming the value and the fix', async () => {
    await expect(
      startUi({ pipeline, backend: new MemoryCache(), port: 70_000, assets }),
    ).rejects.toMatchObject({
      name: 'UiError',
      code: 'UI_OPTION',
      message: '`port` is 70000: give a whole number from 0 (any free port) to 65535',
    });
  });

  test('a folder without a built page is UI_NOT_BUILT, saying how to build it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'memoflow-ui-empty-'));
    try {
      await expect(startUi({ pipeline, backend: new MemoryCache(), assets: empty })).rejects.toMatchObject({
        code: 'UI_NOT_BUILT',
        message: expect.stringContaining('pnpm --filter @memoflow/ui build'),
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('a port in use is UI_LISTEN', async () => {
    const first = await startUi({ pipeline, backend: new MemoryCache(), assets });
    try {
      await expect(
        startUi({ pipeline, backend: new MemoryCache(), assets, port: first.port }),
      ).rejects.toMatchObject({ code: 'UI_LISTEN', message: expect.stringContaining('give another port') });
    } finally {
      await first.close();
    }
  });
});

describe('the JSON API on a MemoryCache after two runs', () => {
  const backend = new MemoryCache();
  const runner = new Runner({ cache: { backend } });
  let ui: UiServer;
  const get = async <T>(path: string): Promise<T> =>
    (await fetch(`${ui.url}api/${path}`)).json() as Promise<T>;

  beforeAll(async () => {
    // A long last word: `words` stores more than the preview limit, `longest` less.
    await runner.run(pipeline, { text: `a bb ccc ${LONG_WORD}` });
    await runner.run(pipeline, { text: `a bb dddd ${LONG_WORD}` });
    ui = await startUi({ pipeline, backend, assets, previewLimitBytes: 64, pollMs: 50 });
  });
  afterAll(() => ui?.close());

  test('the status is the last run: a changed item misses, the rest per item hit', async () => {
    const status = await get<StatusData>('status');
    expect(status.history).toBe(true);
    expect(
      Object.fromEntries(Object.entries(status.nodes).map(([name, view]) => [name, view.state])),
    ).toEqual({
      words: 'miss',
      lengths: 'miss',
      longest: 'miss',
    });
    expect(status.nodes.lengths!.items).toEqual({ total: 4, hits: 3, misses: 1 });
  });

  test("a node's detail: its signature's input parts, the reason, and both runs in its history", async () => {
    const detail = await get<NodeDetail>('nodes/words');
    expect(Object.keys(detail.signature!.inputs)).toEqual(['text']);
    expect(detail.last).toMatchObject({ state: 'miss', reason: 'inputs' });
    expect(detail.history.map((entry) => entry.reason)).toEqual(['inputs', 'new']);
  });

  test('a value within the limit is shown; one over it is not read', async () => {
    expect(await get<ValuePreview>('nodes/longest/value')).toMatchObject({ text: '100' });
    const words = await get<ValuePreview>('nodes/words/value');
    expect(words.text).toBeUndefined();
    expect(words.message).toBe(`too large to preview (${words.bytes} B; the limit is 64 B)`);
  });

  test('the diff of the two runs names the nodes that changed and why', async () => {
    const { runs } = await get<{ runs: { id: string }[] }>('runs');
    expect(runs).toHaveLength(2);
    const diff = await get<RunDiffView>(`diff/${runs[1]!.id}/${runs[0]!.id}`);
    expect(diff.changes.find((change) => change.node === 'words')).toEqual({
      node: 'words',
      from: 'miss',
      to: 'miss',
      why: ['inputs: input `text`'],
    });
  });

  test('a run recorded while a page listens is sent as a `run` event', async () => {
    const events = await fetch(`${ui.url}api/events`);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const read = async (until: RegExp) => {
      while (!until.test(received)) received += (await reader.read()).value ?? '';
    };
    await read(/event: ready\n/);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const { report } = await runner.run(pipeline, { text: 'eeeee' });
    await read(/event: run\ndata: .*\n/);
    const data = JSON.parse(/event: run\ndata: (.*)\n/.exec(received)![1]!);
    expect(data).toMatchObject({ type: 'run', run: { startedAt: report.startedAt, counts: { miss: 3 } } });
    await reader.cancel();
  });
});

describe('node names that are paths or prototype keys', () => {
  test('`a/b c` and `__proto__` have their status, detail, value and page', async () => {
    const slashed = func({ output: 'a/b c' }, (x: number) => x + 1);
    const proto = func({ output: '__proto__', inputs: ['a/b c'] }, (value: number) => value * 2);
    const named = new Pipeline([slashed, proto]);
    const backend = new MemoryCache();
    await new Runner({ cache: { backend } }).run(named, { x: 1 });
    const ui = await startUi({ pipeline: named, backend, assets });
    try {
      const status = (await (await fetch(`${ui.url}api/status`)).json()) as StatusData;
      expect(Object.keys(status.nodes)).toEqual(['a/b c', '__proto__']);
      for (const [name, value] of [
        ['a/b c', '2'],
        ['__proto__', '4'],
      ] as const) {
        const path = encodeURIComponent(name);
        expect(((await (await fetch(`${ui.url}api/nodes/${path}`)).json()) as NodeDetail).name).toBe(name);
        expect(((await (await fetch(`${ui.url}api/nodes/${path}/value`)).json()) as ValuePreview).text).toBe(
          value,
        );
        expect((await fetch(`${ui.url}node/${path}`)).status).toBe(200);
      }
    } finally {
      await ui.close();
    }
  });
});
