/**
 * KeyvCache against a bare Keyv on the same Redis (through @keyv/redis, 127.0.0.1:6379 or
 * MEMOFLOW_BENCH_REDIS_URL), side by side in one process: a 1 KiB hit against `keyv.get` of the
 * same bytes (Keyv stores a Buffer as base64 too), and what the base64 envelope costs, in bytes
 * stored and in encode/decode time, at 1 KiB and 1 MiB. Everything is written under a namespace
 * of its own and removed at the end.
 */
import { hash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { decodePayload, encodeEntry, readEntry } from '../packages/keyv/src/_records.ts';
import { KeyvCache } from '../packages/keyv/src/index.ts';
import { compare, formatNs, report } from './_harness.ts';

type Keyv = ConstructorParameters<typeof KeyvCache>[0];
interface KeyvRedisModule {
  createKeyv(url: string, options: { namespace: string; throwOnErrors?: boolean }): Keyv;
  createClient(options: { url: string }): {
    connect(): Promise<unknown>;
    strLen(key: string): Promise<number>;
    destroy(): void;
  };
}
// keyv and @keyv/redis are dependencies of the keyv package, not of the benchmarks.
const fromKeyvPackage = createRequire(new URL('../packages/keyv/package.json', import.meta.url));
const { createKeyv, createClient } = fromKeyvPackage('@keyv/redis') as KeyvRedisModule;

const url = process.env.MEMOFLOW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = `memoflow-bench:keyv:${randomBytes(4).toString('hex')}`;
const keyOf = (i: number) => i.toString(16).padStart(64, '0');

const cache = new KeyvCache(createKeyv(url, { namespace, throwOnErrors: true }));
const untracked = new KeyvCache(createKeyv(url, { namespace: `${namespace}:untracked` }), {
  trackAccess: false,
});
const bare = createKeyv(url, { namespace: `${namespace}:bare` });
const raw = createClient({ url });
await raw.connect();

try {
  const value = randomBytes(1024);
  await cache.setBlob(keyOf(0), value, { node: 'bench' });
  await untracked.setBlob(keyOf(0), value, { node: 'bench' });
  await bare.set('bare', value);
  const hits = await compare([
    { name: 'KeyvCache getBlob', fn: () => cache.getBlob(keyOf(0)) },
    { name: 'KeyvCache getBlob, trackAccess: false', fn: () => untracked.getBlob(keyOf(0)) },
    { name: 'bare keyv.get (a Buffer)', fn: () => bare.get('bare') },
  ]);
  report('hit, 1 KiB value, @keyv/redis', hits, 'bare keyv.get (a Buffer)');
  console.log(`\nKeyvCache hit / bare keyv.get: ${(hits[0]!.medianNs / hits[2]!.medianNs).toFixed(2)}x`);

  console.log('\n### the base64 envelope: size in Redis, and time to encode and decode\n');
  console.log(
    '| value | stored in Redis | overhead | encode (sha256 + base64) | decode (base64 + sha256 check) | Keyv’s JSON of the record, both ways |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const size of [1024, 1024 * 1024]) {
    const bytes = new Uint8Array(randomBytes(size));
    const key = keyOf(size);
    await cache.setBlob(key, bytes, { node: 'bench', computeMs: 12.5 });
    const stored = await raw.strLen(`${namespace}::memoflow:entry:${key}`);
    const header = { key, node: 'bench', bytes: size, createdAt: Date.now(), computeMs: 12.5 };
    const text = encodeEntry({ ...header, sha256: hash('sha256', bytes, 'hex') }, bytes);
    const serialized = (await bare.serializeData({ value: text })) as string;
    const [encode, decode, keyvJson] = await compare(
      [
        { name: 'encode', fn: () => encodeEntry({ ...header, sha256: hash('sha256', bytes, 'hex') }, bytes) },
        { name: 'decode', fn: () => decodePayload(readEntry(key, text)!) },
        {
          name: 'Keyv JSON',
          fn: async () => bare.deserializeData(await bare.serializeData({ value: text })),
        },
      ],
      { rounds: size > 4096 ? 10 : 30 },
    );
    const label = size === 1024 ? '1 KiB' : '1 MiB';
    const overhead = `${((stored / size - 1) * 100).toFixed(1)}%`;
    console.log(
      `| ${label} | ${stored.toLocaleString('en')} B | ${overhead} | ${formatNs(encode!.medianNs)} | ${formatNs(decode!.medianNs)} | ${formatNs(keyvJson!.medianNs)} |`,
    );
    if (decodePayload(readEntry(key, text)!) === undefined || serialized.length !== stored) {
      throw new Error(`The measured record is not the one stored (${serialized.length} ≠ ${stored} B).`);
    }
  }
} finally {
  await cache.clear();
  await untracked.clear();
  await bare.delete('bare');
  await cache.close();
  await untracked.close();
  await bare.disconnect();
  raw.destroy();
}
