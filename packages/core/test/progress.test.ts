import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createProgress, type ProgressOptions } from '../src/run/progress.ts';

type FakeStream = NonNullable<ProgressOptions['stream']> & { chunks: string[] };

const fakeStream = (
  tty: { isTTY?: boolean; columns?: number } = { isTTY: true, columns: 80 },
): FakeStream => {
  const chunks: string[] = [];
  return {
    ...tty,
    chunks,
    write(chunk: string | Uint8Array) {
      chunks.push(String(chunk));
      return true;
    },
  } as unknown as FakeStream;
};

const CLEAR = '\r\x1b[K';
const visible = (chunk: string) => chunk.replace(CLEAR, '');

describe('createProgress()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubEnv('CI', '');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  test('redraws one line in place with counts, hits, running nodes and elapsed time', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 40 });
    progress.started('clean');
    progress.started('score');
    vi.advanceTimersByTime(100);
    expect(stream.chunks).toEqual([`${CLEAR}memoflow ▸ 0/40 nodes · 0 hit · running clean, score · 0.1s`]);

    progress.finished('clean', 'hit');
    progress.finished('score', 'miss');
    progress.started('train');
    vi.advanceTimersByTime(3100);
    expect(stream.chunks.at(-1)).toBe(`${CLEAR}memoflow ▸ 2/40 nodes · 1 hit · running train · 3.2s`);
    progress.stop();
  });

  test('names a node only while it holds a slot, and a mapped node with its items done', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 3 });
    progress.items('m1', 0, 200);
    progress.started('m1');
    progress.started('m1');
    progress.items('m1', 57, 200);
    progress.started('clean');
    vi.advanceTimersByTime(100);
    expect(visible(stream.chunks.at(-1)!)).toBe(
      'memoflow ▸ 0/3 nodes · 0 hit · running m1 57/200, clean · 0.1s',
    );

    // One of m1's two slots freed: still computing. Then clean waits for a slot again: not named.
    progress.released('m1');
    progress.released('clean');
    progress.items('m1', 1200, 2000);
    vi.advanceTimersByTime(100);
    expect(visible(stream.chunks.at(-1)!)).toBe(
      'memoflow ▸ 0/3 nodes · 0 hit · running m1 1,200/2,000 · 0.2s',
    );

    progress.released('m1');
    vi.advanceTimersByTime(100);
    expect(visible(stream.chunks.at(-1)!)).toBe('memoflow ▸ 0/3 nodes · 0 hit · 0.3s');

    progress.started('m1');
    progress.finished('m1', 'miss');
    progress.released('m1');
    vi.advanceTimersByTime(100);
    expect(visible(stream.chunks.at(-1)!)).toBe('memoflow ▸ 1/3 nodes · 0 hit · 0.4s');
    progress.stop();
  });

  test('draws at most once per 100 ms however many nodes finish', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 1000 });
    for (let index = 0; index < 1000; index++) {
      progress.started(`n${index}`);
      progress.finished(`n${index}`, 'hit');
    }
    expect(stream.chunks).toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(stream.chunks).toEqual([`${CLEAR}memoflow ▸ 1,000/1,000 nodes · 1,000 hit · 0.1s`]);
    progress.stop();
  });

  test('shows failed nodes once there are any', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 3 });
    progress.started('train');
    progress.finished('train', 'failed');
    vi.advanceTimersByTime(100);
    expect(visible(stream.chunks.at(-1)!)).toBe('memoflow ▸ 1/3 nodes · 0 hit · 1 failed · 0.1s');
    progress.stop();
  });

  test('fits the line to the terminal width, shortening the running list before the elapsed time', () => {
    const stream = fakeStream({ isTTY: true, columns: 68 });
    const progress = createProgress({ stream, total: 40 });
    for (const name of ['extract_features', 'aggregate_scores', 'render_report', 'train_model']) {
      progress.started(name);
    }
    vi.advanceTimersByTime(100);
    const line = visible(stream.chunks.at(-1)!);
    expect([...line].length).toBeLessThan(68);
    expect(line).toBe('memoflow ▸ 0/40 nodes · 0 hit · running extract_features +3 · 0.1s');
    progress.stop();
  });

  test('cuts the line itself with an ellipsis when even the counts do not fit', () => {
    const stream = fakeStream({ isTTY: true, columns: 20 });
    const progress = createProgress({ stream, total: 40 });
    progress.started('clean');
    vi.advanceTimersByTime(100);
    const line = visible(stream.chunks.at(-1)!);
    expect(line).toBe('memoflow ▸ 0/40 no…');
    expect([...line].length).toBeLessThanOrEqual(20);
    progress.stop();
  });

  test('keeps the elapsed time moving while a slow node runs, without redrawing an unchanged line', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 1 });
    progress.started('slow');
    vi.advanceTimersByTime(1000);
    expect(stream.chunks.map(visible).at(-1)).toContain('running slow · 1.0s');
    const draws = stream.chunks.length;
    expect(draws).toBeLessThanOrEqual(10);
    expect(new Set(stream.chunks).size).toBe(draws);
    progress.stop();
  });

  test('stop() clears the line and the timer; later calls write nothing', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 2 });
    progress.started('a');
    vi.advanceTimersByTime(100);
    progress.stop();
    expect(stream.chunks.at(-1)).toBe(CLEAR);
    expect(vi.getTimerCount()).toBe(0);
    const written = stream.chunks.length;
    progress.finished('a', 'hit');
    progress.started('b');
    progress.stop();
    vi.advanceTimersByTime(1000);
    expect(stream.chunks).toHaveLength(written);
  });

  test('a run shorter than one redraw writes nothing at all, not even a clear', () => {
    const stream = fakeStream();
    const progress = createProgress({ stream, total: 1 });
    progress.started('a');
    progress.finished('a', 'hit');
    progress.stop();
    expect(stream.chunks).toEqual([]);
  });

  test.each([
    ['the stream is not a TTY', { isTTY: false, columns: 80 }, {}, undefined],
    ['the stream does not say it is a TTY', {}, {}, undefined],
    ['CI is set', { isTTY: true, columns: 80 }, {}, 'true'],
    ['enabled is false', { isTTY: true, columns: 80 }, { enabled: false }, undefined],
  ])('writes nothing when %s', (_, tty, options, ci) => {
    if (ci !== undefined) vi.stubEnv('CI', ci);
    const stream = fakeStream(tty);
    const progress = createProgress({ stream, total: 3, ...options });
    progress.started('a');
    vi.advanceTimersByTime(500);
    progress.finished('a', 'hit');
    progress.started('b');
    vi.advanceTimersByTime(500);
    progress.stop();
    expect(stream.chunks).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('enabled: true draws even on a stream that is not a TTY', () => {
    const stream = fakeStream({ isTTY: false });
    const progress = createProgress({ stream, total: 1, enabled: true });
    progress.started('a');
    vi.advanceTimersByTime(100);
    expect(stream.chunks).toHaveLength(1);
    progress.stop();
  });
});

test('never keeps the process alive: a child that never calls stop() still exits', () => {
  const source = fileURLToPath(new URL('../src/run/progress.ts', import.meta.url));
  const script = `
    import { createProgress } from ${JSON.stringify(source)};
    const progress = createProgress({ total: 2, enabled: true, stream: { write: () => true, columns: 80 } });
    progress.started('forever');
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    timeout: 10_000,
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.signal).toBeNull();
  expect(result.status).toBe(0);
});
