import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const here = fileURLToPath(new URL('.', import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), 'memoflow-quickstart-'));
// Inside examples/quickstart, so the copy resolves `@memoflow/core` through this package's node_modules.
const scratch = mkdtempSync(join(here, '.scratch-'));
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const quickstart = async (cwd = here) => {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=memoflow-source', '--import', tsx, 'index.ts'],
    {
      cwd,
      env: { ...process.env, MEMOFLOW_CACHE_DIR: cacheDir },
    },
  );
  return stdout;
};

/** Each node's status and miss reason, read from the rows of the printed `report.toText()` table. */
function statuses(stdout: string): Record<string, string> {
  const rows = stdout.matchAll(
    /^(text|words|stats) +[✓✗] (hit|miss)(?: +(new|code|env|inputs|deps|recompute|evicted)\b)?/gm,
  );
  return Object.fromEntries(
    [...rows].map(([, node, status, reason]) => [node, reason ? `${status} ${reason}` : status!]),
  );
}

test('the quickstart computes every node on its first run, and a new process hits every node on the second', async () => {
  const first = await quickstart();
  expect(statuses(first)).toEqual({ text: 'miss new', words: 'miss new', stats: 'miss new' });
  expect(first).toContain('poem.txt: 71 words, 50 distinct; most used: the ×9, and ×5, in ×4');
  expect(first).toContain('3 nodes: 3 miss');
  expect(first.trimEnd().endsWith('Run it again: every node is a hit.')).toBe(true);

  const second = await quickstart();
  expect(statuses(second)).toEqual({ text: 'hit', words: 'hit', stats: 'hit' });
  expect(second).toContain('poem.txt: 71 words, 50 distinct; most used: the ×9, and ×5, in ×4');
  expect(second).toContain('3 nodes: 3 hit');
  expect(second).toContain('Edit the `stats` function in index.ts and run again');
});

test('one edit to `stats` is one miss, for reason `code`, in a copy of the example in another folder', async () => {
  await quickstart(); // the cache holds every node, whichever test ran first
  const source = readFileSync(join(here, 'index.ts'), 'utf8');
  const edited = source.replace('.slice(0, 3);', '.slice(0, 5);');
  expect(edited).not.toBe(source);
  writeFileSync(join(scratch, 'index.ts'), edited);
  copyFileSync(join(here, 'poem.txt'), join(scratch, 'poem.txt'));

  const stdout = await quickstart(scratch);
  expect(statuses(stdout)).toEqual({ text: 'hit', words: 'hit', stats: 'miss code' });
  expect(stdout).toMatch(/^stats +✗ miss +code +its own code/m);
  expect(stdout).toContain('most used: the ×9, and ×5, in ×4, that ×3, heard ×2');
  expect(stdout).toContain('3 nodes: 2 hit, 1 miss');
});
