/**
 * DiskCache at 1,000,000 entries against the same operations at 10,000: hit latency (goal
 * within 1.5x of the 10,000-entry figure), `info()` (goal ≤ 5 s), pruning to half (goal ≤ 30 s),
 * and the peak RSS of each (goal ≤ 300 MB). Every operation runs in a fresh child process
 * (`_disk-scale-child.ts`), so its heap and peak RSS are its own. The 1M fill is setup and
 * takes a while; it prints progress to stderr every 100,000 entries.
 *
 * Sizes: MEMOFLOW_BENCH_SCALE_N (default 1,000,000) and MEMOFLOW_BENCH_SCALE_SMALL_N (default 10,000),
 * e.g. MEMOFLOW_BENCH_SCALE_N=20000 for a quick check.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNs } from './_harness.ts';

const sizeFrom = (name: string, fallback: number) => {
  const size = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(size) || size < 2) throw new Error(`${name} must be an integer ≥ 2`);
  return size;
};
const SMALL = sizeFrom('MEMOFLOW_BENCH_SCALE_SMALL_N', 10_000);
const LARGE = sizeFrom('MEMOFLOW_BENCH_SCALE_N', 1_000_000);

const child = fileURLToPath(new URL('./_disk-scale-child.ts', import.meta.url));

interface Measured {
  ms: number;
  medianNs: number;
  rssBefore: number;
  peakRss: number;
  entries: number;
  removed: number;
  entriesAfter: number;
  target: number;
  ok: boolean;
  wrong: number;
}

/** Runs one task in a fresh process: its stderr (progress) passes through, its stdout is one JSON line. */
function run(task: string, dir: string, n: number): Measured {
  const out = execFileSync(process.execPath, [...process.execArgv, child, task, dir, String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = out.trim().split('\n').at(-1)!;
  return JSON.parse(last) as Measured;
}

/** Hit latency is measured this many times per size, alternating sizes: the machine's load drifts over minutes. */
const HIT_ROUNDS = 3;

function fillAt(root: string, n: number) {
  const dir = join(root, `n${n}`);
  process.stderr.write(`disk-cache-scale: ${n.toLocaleString('en')} entries in ${dir}\n`);
  return { n, dir, fill: run('fill', dir, n) };
}

/** The round whose median is the median of the rounds. */
function medianRound(rounds: Measured[]): Measured {
  return [...rounds].sort((a, b) => a.medianNs - b.medianNs)[rounds.length >> 1]!;
}

function measureRest(filled: ReturnType<typeof fillAt>, hits: Measured[]) {
  const { n, dir, fill } = filled;
  const info = run('info', dir, n);
  const prune = run('prune', dir, n);
  // 1M entries are a lot of files to leave behind until the end.
  fs.rmSync(dir, { recursive: true, force: true });
  return { n, fill, hit: medianRound(hits), hitRounds: hits, info, prune };
}

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-bench-disk-scale-'));
let small: ReturnType<typeof measureRest>;
let large: ReturnType<typeof measureRest>;
try {
  const filled = [fillAt(root, SMALL), fillAt(root, LARGE)] as const;
  const hits: [Measured[], Measured[]] = [[], []];
  for (let round = 0; round < HIT_ROUNDS; round++) {
    for (const [size, { dir, n }] of filled.entries()) hits[size]!.push(run('hit', dir, n));
  }
  small = measureRest(filled[0], hits[0]);
  large = measureRest(filled[1], hits[1]);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const count = (n: number) => n.toLocaleString('en');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const time = (ms: number) => (ms < 1_000 ? `${ms.toFixed(1)} ms` : `${(ms / 1_000).toFixed(2)} s`);
/** Peak RSS of the task's process, with its RSS just before the operation in parentheses. */
const rss = (m: Measured) => `${mb(m.peakRss)} (${mb(m.rssBefore)} before)`;
const met = (ok: boolean) => (ok ? 'yes' : '**no**');
const RSS_GOAL = 300e6;

const hitRatio = large.hit.medianNs / small.hit.medianNs;
const rows: [string, string, string, string, string][] = [
  [
    `\`getBlob\` hit, random key (median of ${HIT_ROUNDS} interleaved runs)`,
    formatNs(small.hit.medianNs),
    formatNs(large.hit.medianNs),
    `≤ 1.5x the ${count(SMALL)} figure: ${hitRatio.toFixed(2)}x`,
    met(hitRatio <= 1.5 && [...small.hitRounds, ...large.hitRounds].every((hit) => hit.wrong === 0)),
  ],
  [
    '`info()`',
    time(small.info.ms),
    time(large.info.ms),
    '≤ 5 s',
    met(large.info.ms <= 5_000 && large.info.entries === LARGE && small.info.entries === SMALL),
  ],
  [
    `\`prune({ maxEntries: n / 2 })\``,
    time(small.prune.ms),
    time(large.prune.ms),
    '≤ 30 s',
    met(large.prune.ms <= 30_000 && small.prune.ok && large.prune.ok),
  ],
  ['peak RSS, hit', rss(small.hit), rss(large.hit), '≤ 300 MB', met(large.hit.peakRss <= RSS_GOAL)],
  ['peak RSS, `info()`', rss(small.info), rss(large.info), '≤ 300 MB', met(large.info.peakRss <= RSS_GOAL)],
  ['peak RSS, prune', rss(small.prune), rss(large.prune), '≤ 300 MB', met(large.prune.peakRss <= RSS_GOAL)],
  [
    'entries after prune (removed)',
    `${count(small.prune.entriesAfter)} (${count(small.prune.removed)})`,
    `${count(large.prune.entriesAfter)} (${count(large.prune.removed)})`,
    'n / 2',
    met(small.prune.ok && large.prune.ok),
  ],
  ['fill, 1,000 `setBlob` at a time (setup)', time(small.fill.ms), time(large.fill.ms), '—', ''],
  ['peak RSS, fill (setup)', rss(small.fill), rss(large.fill), '—', ''],
];

console.log(`\n### DiskCache at scale, ~100 B entries over 20 nodes, each operation in a fresh process\n`);
console.log(
  `| operation | ${count(SMALL)} entries | ${count(LARGE)} entries | goal (at ${count(LARGE)}) | met |`,
);
console.log('|---|---:|---:|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
const rounds = (m: typeof small) => m.hitRounds.map((hit) => formatNs(hit.medianNs)).join(', ');
console.log(`\nHit medians per run: ${count(SMALL)}: ${rounds(small)}; ${count(LARGE)}: ${rounds(large)}.`);
const wrong = [...small.hitRounds, ...large.hitRounds].reduce((sum, hit) => sum + hit.wrong, 0);
if (wrong > 0) console.log(`\n**${wrong} hits returned wrong or missing bytes.**`);
if (large.info.entries !== LARGE || small.info.entries !== SMALL) {
  console.log(`\n**info() counted ${count(small.info.entries)} / ${count(large.info.entries)} entries.**`);
}
