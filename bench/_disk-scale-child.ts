/**
 * One measurement of `disk-cache-scale.bench.ts` in a fresh process, so that its heap and its
 * peak RSS are its own: `<fill|hit|info|prune> <dir> <n>`. Prints one JSON line on stdout;
 * progress goes to stderr. Uses DiskCache's public methods only.
 *
 * - `fill`: stores n entries of about 100 B (64-hex keys, sha256 of i) over 20 nodes, 1,000 at a time.
 * - `hit`: median latency of `getBlob` of random existing keys, after a warm-up on other keys.
 * - `info`: the time of one `info()`.
 * - `prune`: the time of `prune({ maxEntries: n / 2 })`, then the entry count left.
 */
import { createHash } from 'node:crypto';
import { DiskCache } from '../packages/core/src/index.ts';
import { median } from './_harness.ts';

const [task, dir, nText] = process.argv.slice(2);
const n = Number(nText);
if (!dir || !Number.isInteger(n) || n <= 0) {
  throw new Error(
    `usage: _disk-scale-child.ts <fill|hit|info|prune> <dir> <n>, got ${process.argv.slice(2)}`,
  );
}

const NODES = 20;
const BATCH = 1_000;
const PROGRESS_EVERY = 100_000;
const HIT_WARMUP = 1_000;
const HIT_SAMPLES = 5_000;

const encoder = new TextEncoder();
const keyOf = (i: number) => createHash('sha256').update(`memoflow-bench-${i}`).digest('hex');
const nodeOf = (i: number) => `node-${i % NODES}`;
// Distinct bytes per entry (a content-addressed store must not fold them into one blob), ~100 B.
const bytesOf = (i: number) => encoder.encode(JSON.stringify({ i, node: nodeOf(i), pad: 'x'.repeat(64) }));

/** Peak RSS of this process so far, in bytes (Linux reports ru_maxrss in KiB). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const rss = () => process.memoryUsage().rss;
const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** mulberry32: the same "random" keys on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;

const cache = new DiskCache({ dir });
let result: Record<string, unknown>;
try {
  if (task === 'fill') result = await fill();
  else if (task === 'hit') result = await hit();
  else if (task === 'info') result = await info();
  else if (task === 'prune') result = await prune();
  else throw new Error(`unknown task ${task}`);
} finally {
  await cache.close();
}
console.log(JSON.stringify({ task, n, ...result }));

async function fill() {
  const rssBefore = rss();
  const start = process.hrtime.bigint();
  let valueBytes = 0;
  for (let from = 0; from < n; from += BATCH) {
    const writes: Promise<void>[] = [];
    for (let i = from; i < Math.min(from + BATCH, n); i++) {
      const value = bytesOf(i);
      valueBytes += value.length;
      writes.push(cache.setBlob(keyOf(i), value, { node: nodeOf(i) }));
    }
    await Promise.all(writes);
    const done = Math.min(from + BATCH, n);
    if (done % PROGRESS_EVERY === 0 || done === n) {
      process.stderr.write(`  fill ${dir}: ${done.toLocaleString('en')} / ${n.toLocaleString('en')} `);
      process.stderr.write(`(${(elapsedMs(start) / 1000).toFixed(1)} s)\n`);
    }
  }
  return { ms: elapsedMs(start), meanValueBytes: valueBytes / n, rssBefore, peakRss: peakRss() };
}

async function hit() {
  const next = random(0x5eed);
  const pick = () => Math.floor(next() * n);
  for (let w = 0; w < HIT_WARMUP; w++) await cache.getBlob(keyOf(pick()));
  // Keys and expected bytes prepared outside the timed calls.
  const indices = Array.from({ length: HIT_SAMPLES }, pick);
  const keys = indices.map(keyOf);
  const got: (Uint8Array | undefined)[] = new Array(HIT_SAMPLES);
  const samples: number[] = new Array(HIT_SAMPLES);
  const rssBefore = rss();
  for (let s = 0; s < HIT_SAMPLES; s++) {
    const start = process.hrtime.bigint();
    got[s] = await cache.getBlob(keys[s]!);
    samples[s] = Number(process.hrtime.bigint() - start);
  }
  const peak = peakRss();
  let wrong = 0;
  for (let s = 0; s < HIT_SAMPLES; s++) if (!sameBytes(got[s], bytesOf(indices[s]!))) wrong++;
  const sorted = samples.sort((a, b) => a - b);
  return {
    medianNs: median(sorted),
    p90Ns: sorted[Math.floor(HIT_SAMPLES * 0.9)],
    p99Ns: sorted[Math.floor(HIT_SAMPLES * 0.99)],
    samples: HIT_SAMPLES,
    wrong,
    rssBefore,
    peakRss: peak,
  };
}

async function info() {
  const rssBefore = rss();
  const start = process.hrtime.bigint();
  const summary = await cache.info();
  const ms = elapsedMs(start);
  return {
    ms,
    entries: summary.entries,
    bytes: summary.bytes,
    nodes: Object.keys(summary.nodes).length,
    rssBefore,
    peakRss: peakRss(),
  };
}

async function prune() {
  const target = Math.floor(n / 2);
  const rssBefore = rss();
  const start = process.hrtime.bigint();
  const pruned = await cache.prune({ maxEntries: target });
  const ms = elapsedMs(start);
  // Taken before the check below, which is not part of the measured operation.
  const peak = peakRss();
  const removed = pruned.entries;
  const entriesAfter = (await cache.info()).entries;
  return { ms, target, removed, entriesAfter, ok: entriesAfter === target, rssBefore, peakRss: peak };
}
