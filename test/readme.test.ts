import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { describeWithRedis, TEST_REDIS_URL } from '../packages/conformance/src/redis.ts';
import { coreEntry, scratchProject } from '../packages/core/test/support/processes.ts';

/** The packages a block may import, by their source entries. */
const entries: Record<string, string> = {
  '@memoflow/core': coreEntry,
  '@memoflow/redis': fileURLToPath(new URL('../packages/redis/src/index.ts', import.meta.url)),
  '@memoflow/bullmq': fileURLToPath(new URL('../packages/bullmq/src/index.ts', import.meta.url)),
};

/** Every ```ts block of the README is a program; each runs in a fresh process, against the core source. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

/** Removes a BullMQ queue's keys, with redis-cli (there wherever a Redis test runs). */
function removeQueue(url: string, queue: string): void {
  const keys = execFileSync('redis-cli', ['-u', url, '--scan', '--pattern', `bull:${queue}:*`], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  if (keys.length > 0) execFileSync('redis-cli', ['-u', url, 'unlink', ...keys]);
}

/** What each block must print, in order of appearance. */
const expectations: RegExp[] = [
  /^16\n16\n[0-9a-f]{64}\n$/,
  /^20 30\n$/,
  /^UNHASHABLE_INPUT\n3\n$/,
  /^6\n$/,
  /^11\nrows: miss, clean: miss, scores: miss\n$/,
  /^3 \[ 'square' \]\ntrue\n2 \{ entries: 2, bytes: 40 \}\n3\n$/,
  /^30 rows: miss, squares: miss, total: miss\nhit, hit, hit\n$/,
];

const project = scratchProject({});
afterAll(() => project.dispose());

test('the README has the code blocks this test knows', () => {
  expect(blocks).toHaveLength(expectations.length);
});

blocks.forEach((block, i) => {
  const body = () =>
    test(`README code block ${i + 1} runs and prints what it says`, async () => {
      let program = block;
      for (const [name, entry] of Object.entries(entries))
        program = program.replaceAll(`'${name}'`, JSON.stringify(entry));
      project.write(`block-${i}.ts`, program);
      const stdout = await project.run(`block-${i}.ts`, {
        MEMOFLOW_CACHE_DIR: `${project.dir}/.memoflow`,
        REDIS_URL: TEST_REDIS_URL,
      });
      expect(stdout).toMatch(expectations[i]!);
    });
  // A block on Redis runs where the tests' Redis answers (and fails in CI where it does not); the
  // BullMQ queue it used (`readme`) is removed afterwards.
  if (block.includes("'@memoflow/redis'"))
    describeWithRedis(`README code block ${i + 1}`, () => {
      body();
      afterAll(() => removeQueue(TEST_REDIS_URL, 'readme'));
    });
  else body();
});
