/**
 * The live progress line a long run draws on a terminal:
 * `memoflow ▸ 12/40 nodes · 9 hit · running clean, m1 57/200 · 3.2s`. It names only the nodes
 * computing now (holding a compute slot, here or on a worker), never those waiting for one, and a
 * mapped node with how many of its items are done.
 */

import type { NodeStatus } from '../report/index.ts';
import { formatCount, formatDuration } from '../report/index.ts';

export interface ProgressOptions {
  /**
   * Where to draw.
   * @default process.stderr
   */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** How many nodes the run has. */
  total: number;
  /**
   * Whether to draw at all.
   * @default stream.isTTY && !process.env.CI
   */
  enabled?: boolean;
}

/** What the runner tells the progress line. Every method is a no-op when it is disabled. */
export interface Progress {
  /** `node` took a compute slot: it shows as running while it holds at least one. */
  started(node: string): void;
  /** `node` gave one compute slot back. */
  released(node: string): void;
  /** `done` of the `total` items of mapped node `node` are done (hits included). */
  items(node: string, done: number, total: number): void;
  /** `node` is done, whatever slots it held. */
  finished(node: string, status: NodeStatus): void;
  /** Clears the line and stops redrawing. Idempotent. */
  stop(): void;
}

/** How often, at most, the line is redrawn. */
const REDRAW_INTERVAL_MS = 100;

const CLEAR_LINE = '\r\x1b[K';

const DISABLED: Progress = Object.freeze({
  started() {},
  released() {},
  items() {},
  finished() {},
  stop() {},
});

/**
 * Tells `progress` that `done` of a mapped node's `total` items are done, and returns what counts
 * more (one by default) as done.
 */
export function itemCounter(
  progress: Progress | undefined,
  node: string,
  total: number,
  done: number,
): (count?: number) => void {
  if (progress === undefined) return () => {};
  progress.items(node, done, total);
  return (count = 1) => {
    done += count;
    progress.items(node, done, total);
  };
}

/** A progress line on `stream`, or a no-op one when output is not a terminal or `CI` is set. */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? (stream.isTTY === true && !isCI());
  return enabled ? new ProgressLine(stream, options.total) : DISABLED;
}

class ProgressLine implements Progress {
  readonly #stream: NonNullable<ProgressOptions['stream']>;
  readonly #total: number;
  readonly #startedAt = Date.now();
  /** Compute slots held, by node, in the order the nodes started. */
  readonly #running = new Map<string, number>();
  readonly #items = new Map<string, { done: number; total: number }>();
  #done = 0;
  #hits = 0;
  #failed = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #drawn = '';
  #stopped = false;

  constructor(stream: NonNullable<ProgressOptions['stream']>, total: number) {
    this.#stream = stream;
    this.#total = total;
  }

  started(node: string): void {
    if (this.#stopped) return;
    this.#running.set(node, (this.#running.get(node) ?? 0) + 1);
    this.#startTimer();
  }

  released(node: string): void {
    const held = this.#running.get(node);
    if (held === undefined) return;
    if (held > 1) this.#running.set(node, held - 1);
    else this.#running.delete(node);
  }

  items(node: string, done: number, total: number): void {
    if (this.#stopped) return;
    this.#items.set(node, { done, total });
  }

  finished(node: string, status: NodeStatus): void {
    if (this.#stopped) return;
    this.#running.delete(node);
    this.#items.delete(node);
    this.#done++;
    if (status === 'hit') this.#hits++;
    if (status === 'failed') this.#failed++;
    this.#startTimer();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn !== '') this.#stream.write(CLEAR_LINE);
    this.#drawn = '';
  }

  // Drawing only on the timer keeps a run of thousands of fast nodes to ten writes a second,
  // and a run shorter than one interval draws nothing at all. The timer also keeps the elapsed
  // time moving while a slow node runs; it is unref'd so it never keeps the process alive.
  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#draw(), REDRAW_INTERVAL_MS);
    this.#timer.unref?.();
  }

  #draw(): void {
    const line = this.#render(room(this.#stream.columns));
    if (line === this.#drawn) return;
    this.#drawn = line;
    this.#stream.write(CLEAR_LINE + line);
  }

  #render(width: number): string {
    const head = [`memoflow ▸ ${formatCount(this.#done)}/${formatCount(this.#total)} nodes`];
    head.push(`${formatCount(this.#hits)} hit`);
    if (this.#failed > 0) head.push(`${formatCount(this.#failed)} failed`);
    const elapsed = formatElapsed(Date.now() - this.#startedAt);
    const fixedWidth = length(head.join(SEPARATOR)) + SEPARATOR.length + length(elapsed);
    // Many running nodes are cut short, not the elapsed time after them.
    const names = [...this.#running.keys()].map((node) => {
      const items = this.#items.get(node);
      return items ? `${node} ${formatCount(items.done)}/${formatCount(items.total)}` : node;
    });
    const running = runningList(names, width - fixedWidth - SEPARATOR.length);
    return truncate([...head, ...(running ? [running] : []), elapsed].join(SEPARATOR), width);
  }
}

const SEPARATOR = ' · ';

/** `running clean, m1 57/200`, or `running clean +3` when the names do not fit in `width`. */
function runningList(names: string[], width: number): string {
  if (names.length === 0) return '';
  const all = `running ${names.join(', ')}`;
  if (length(all) <= width) return all;
  for (let shown = names.length - 1; shown >= 1; shown--) {
    const text = `running ${names.slice(0, shown).join(', ')} +${names.length - shown}`;
    if (length(text) <= width) return text;
  }
  return `${formatCount(names.length)} running`;
}

// Writing the last column makes some terminals wrap, and the next `\r` then returns to the wrong
// line: keep one column free.
function room(columns: number | undefined): number {
  return (columns && columns > 1 ? columns : 80) - 1;
}

function truncate(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

function length(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function formatElapsed(ms: number): string {
  return ms < 60_000 ? `${(Math.floor(ms / 100) / 10).toFixed(1)}s` : formatDuration(ms);
}

function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}
