/**
 * The input hasher against its peers: raw sha256 on binary data (goal: ≥ 90% of its throughput),
 * fast-json-stable-stringify on many small records (goal: ≥ 3x faster, though it does not even
 * hash), and the per-call cost of encodeInputs on the small arguments func() sees on every call.
 */
import { createHash } from 'node:crypto';
import stringify from 'fast-json-stable-stringify';
import { encodeInputs, hashValue } from '../packages/core/src/signature/inputs/hash-inputs.ts';
import { type BenchResult, compare, formatNs, report } from './_harness.ts';

const floats = new Float64Array((64 * 1024 * 1024) / 8).map((_, i) => i * 0.25);
const binary = await compare(
  [
    { name: 'raw createHash(sha256)', fn: () => createHash('sha256').update(floats).digest('hex') },
    { name: 'hashValue(Float64Array)', fn: () => hashValue(floats) },
  ],
  { rounds: 9 },
);
report('64 MiB Float64Array', binary);
throughput('64 MiB Float64Array: throughput', binary, floats.byteLength);

const records = Array.from({ length: 100_000 }, (_, i) => ({
  id: i,
  name: 'user' + i,
  score: i * 0.5,
  tags: ['a', 'b'],
  active: i % 2 === 0,
}));
const [stringified, hashed] = await compare(
  [
    { name: 'fast-json-stable-stringify (no hash)', fn: () => stringify(records) },
    { name: 'hashValue(records)', fn: () => hashValue(records) },
  ],
  { rounds: 9 },
);
report('100,000 small records', [stringified!, hashed!]);
console.log(`\nhashValue is ${(stringified!.medianNs / hashed!.medianNs).toFixed(2)}x faster (goal: ≥ 3x).`);

const names = ['a', 'b'];
const single = ['options'];
const small = await compare([
  { name: "encodeInputs(42, 'abc')", fn: () => encodeInputs('f', [42, 'abc'], names) },
  {
    name: 'encodeInputs({a: 1, b: [1, 2, 3]})',
    fn: () => encodeInputs('f', [{ a: 1, b: [1, 2, 3] }], single),
  },
]);
console.log('\n### encodeInputs per call (small arguments, text mode)\n');
console.log('| case | median |');
console.log('|---|---:|');
for (const r of small) console.log(`| ${r.name} | ${formatNs(r.medianNs)} |`);

function throughput(title: string, results: BenchResult[], bytes: number): void {
  const base = results[0]!;
  console.log(`\n### ${title}\n`);
  console.log(`| case | GB/s | share of ${base.name} |`);
  console.log('|---|---:|---:|');
  for (const r of results) {
    const share = ((base.medianNs / r.medianNs) * 100).toFixed(0);
    console.log(`| ${r.name} | ${(bytes / r.medianNs).toFixed(2)} | ${share}% |`);
  }
}
