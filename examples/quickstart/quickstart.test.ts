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
const cacheDir = mkdtempSync(join(tmpdir(), 'memoflow-quickstart-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const quickstart = async () => {
  const { stdout } = await run(process.execPath, ['--conditions=source', '--import', tsx, 'index.ts'], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, MEMOFLOW_CACHE_DIR: cacheDir },
  });
  return stdout;
};

test('the quickstart computes on its first run and is served from disk, by a new process, on the second', async () => {
  const first = await quickstart();
  expect(first).toContain('0/3 from cache.');
  expect(first.match(/ miss /g)).toHaveLength(3);
  const second = await quickstart();
  expect(second).toContain('3/3 from cache.');
  expect(second.match(/ hit /g)).toHaveLength(3);
});
