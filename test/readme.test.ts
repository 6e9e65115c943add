import { readFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { coreEntry, scratchProject } from '../packages/core/test/support/processes.ts';

/** Every ```ts block of the README is a program; each runs in a fresh process, against the core source. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

/** What each block must print, in order of appearance. */
const expectations: RegExp[] = [
  /^16\n16\n[0-9a-f]{64}\n$/,
  /^20 30\n$/,
  /^UNHASHABLE_INPUT\n3\n$/,
  /^6\n$/,
  /^11\nrows: miss, clean: miss, scores: miss\n$/,
  /^3 \[ 'square' \]\ntrue\n2 \{ entries: 2, bytes: 40 \}\n3\n$/,
];

const project = scratchProject({});
afterAll(() => project.dispose());

test('the README has the code blocks this test knows', () => {
  expect(blocks).toHaveLength(expectations.length);
});

blocks.forEach((block, i) => {
  test(`README code block ${i + 1} runs and prints what it says`, async () => {
    project.write(`block-${i}.ts`, block.replaceAll("'@memoflow/core'", JSON.stringify(coreEntry)));
    const stdout = await project.run(`block-${i}.ts`, { MEMOFLOW_CACHE_DIR: `${project.dir}/.memoflow` });
    expect(stdout).toMatch(expectations[i]!);
  });
});
