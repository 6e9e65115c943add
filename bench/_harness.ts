/**
 * A small, honest benchmark harness: each case runs in batches sized to last ~10 ms, and the
 * figure reported is the median time per operation over the batches, after a warm-up. Cases of
 * one comparison run interleaved in the same process so they see the same machine state.
 */

export interface BenchCase {
  name: string;
  /** One operation; may be async. */
  fn: () => unknown;
}

export interface BenchResult {
  name: string;
  /** Median nanoseconds per operation. */
  medianNs: number;
  samples: number;
}

const now = () => process.hrtime.bigint();

async function timeBatch(fn: () => unknown, ops: number): Promise<number> {
  const start = now();
  for (let i = 0; i < ops; i++) {
    const result = fn();
    if (result instanceof Promise) await result;
  }
  return Number(now() - start) / ops;
}

async function calibrate(fn: () => unknown, targetNs: number): Promise<number> {
  let ops = 1;
  for (;;) {
    const perOp = await timeBatch(fn, ops);
    if (perOp * ops >= targetNs / 4 || ops >= 1 << 24)
      return Math.max(1, Math.round(targetNs / Math.max(perOp, 1)));
    ops *= 4;
  }
}

/** Runs the cases interleaved, `rounds` batches each, and returns their median ns/op. */
export async function compare(cases: BenchCase[], options: { rounds?: number; batchMs?: number } = {}) {
  const rounds = options.rounds ?? 30;
  const batchNs = (options.batchMs ?? 10) * 1e6;
  const ops = [];
  for (const c of cases) ops.push(await calibrate(c.fn, batchNs));
  const samples: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) samples[i]!.push(await timeBatch(cases[i]!.fn, ops[i]!));
  }
  return cases.map((c, i): BenchResult => ({ name: c.name, medianNs: median(samples[i]!), samples: rounds }));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Formats nanoseconds as ns / µs / ms. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** Prints a comparison as a Markdown table, each row with its ratio to the baseline row. */
export function report(title: string, results: BenchResult[], baseline = results[0]!.name): void {
  const base = results.find((r) => r.name === baseline)!;
  console.log(`\n### ${title}\n`);
  console.log('| case | median | ratio to ' + baseline + ' |');
  console.log('|---|---:|---:|');
  for (const r of results)
    console.log(`| ${r.name} | ${formatNs(r.medianNs)} | ${(r.medianNs / base.medianNs).toFixed(2)}x |`);
}
