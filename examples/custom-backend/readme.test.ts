/**
 * The walkthrough in README.md is true: its steps (the ```typescript blocks), put together, are
 * json-lines-cache.ts byte for byte, and its ```ts blocks run beside that file: the first as a
 * program, the second (a conformance test file) under vitest.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ALL_TESTS_PASSED, describeReadmeBlocks } from '../../test/support/readme-blocks.ts';

const readme = new URL('README.md', import.meta.url);
const source = new URL('json-lines-cache.ts', import.meta.url);

test("the README's steps, put together, are json-lines-cache.ts", () => {
  const steps = [...readFileSync(readme, 'utf8').matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(steps.length).toBeGreaterThan(1);
  expect(steps.join('\n')).toBe(readFileSync(source, 'utf8'));
});

describeReadmeBlocks(
  'examples/custom-backend/README.md',
  readme,
  [/^16 16\n1\n$/, { vitest: true, prints: ALL_TESTS_PASSED }],
  { files: { 'json-lines-cache.ts': source } },
);
