import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const cacheDir = mkdtempSync(join(tmpdir(), 'memoflow-etl-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const etl = async (rowCount: number) => {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=memoflow-source', '--import', tsx, 'index.ts', String(rowCount)],
    {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, MEMOFLOW_CACHE_DIR: cacheDir },
    },
  );
  return stdout;
};

const count = (digits: string) => Number(digits.replaceAll(',', ''));

/** What a run printed: rows read and kept, each node's status and miss reason, and `features`' item counts. */
function parse(stdout: string) {
  const rows = stdout.match(/^([\d,]+) rows read, ([\d,]+) kept/m);
  const items = stdout.match(/^features +.* ([\d,]+) hit, ([\d,]+) miss$/m);
  const nodes = stdout.matchAll(
    /^(csv|parsed|clean|features|totals|summary) +[✓✗] (hit|miss)(?: +(new|code|env|inputs|deps)\b)?/gm,
  );
  return {
    read: count(rows![1]!),
    kept: count(rows![2]!),
    nodes: Object.fromEntries(
      [...nodes].map(([, node, status, reason]) => [node, reason ? `${status} ${reason}` : status]),
    ),
    features: { hits: count(items![1]!), misses: count(items![2]!) },
  };
}

test('the ETL example computes on a cold cache, hits every node on the second run, and computes only the new rows when rows are added', async () => {
  const cold = await etl(2000);
  const first = parse(cold);
  expect(first.read).toBe(2000);
  expect(first.kept).toBeGreaterThan(1900);
  expect(first.kept).toBeLessThan(2000); // the generator writes some broken rows for `clean` to drop
  expect(Object.values(first.nodes)).toEqual(Array(6).fill('miss new'));
  expect(first.features).toEqual({ hits: 0, misses: first.kept });
  expect(cold).toContain('flowchart LR');

  const warm = await etl(2000);
  const second = parse(warm);
  expect(Object.values(second.nodes)).toEqual(Array(6).fill('hit'));
  expect(second.features).toEqual({ hits: first.kept, misses: 0 });
  expect(warm).toContain('6 nodes: 6 hit');
  expect(warm).toContain('class n0,n1,n2,n3,n4,n5 hit');
  expect(warm.slice(0, warm.indexOf('\nnode '))).toBe(cold.slice(0, cold.indexOf('\nnode ')));

  const more = parse(await etl(2050));
  expect(more.read).toBe(2050);
  expect(more.nodes).toEqual({
    csv: 'miss inputs',
    parsed: 'miss deps',
    clean: 'miss deps',
    features: 'miss inputs',
    totals: 'miss deps',
    summary: 'miss deps',
  });
  // The first 2,000 rows are the same rows, so only the rows kept among the 50 new ones are computed.
  expect(more.features).toEqual({ hits: first.kept, misses: more.kept - first.kept });
  expect(more.features.misses).toBeGreaterThan(40);
  expect(more.features.misses).toBeLessThanOrEqual(50);
});
