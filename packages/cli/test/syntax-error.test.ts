/**
 * A module that does not parse is one line on stderr: the file, line and column of the error
 * and the parser's own message; exit code 2, and nothing runs.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { coreEntry } from '../../core/test/support/processes.ts';
import { cliProject, lines } from './support/cli.ts';

const core = JSON.stringify(coreEntry);

/** `2 + ;` on line 4: the `;` is at column 18. */
const BROKEN = `import { func, Pipeline } from ${core};

export const doubled = func({ output: 'doubled' }, (n: number) => {
  return n * 2 + ;
});

export default new Pipeline([doubled]);
`;

const project = cliProject({
  'broken.ts': BROKEN,
  'broken.mjs': BROKEN.replace('(n: number)', '(n)'),
  // Two-byte and three-byte characters before the error: columns count characters, not bytes.
  'accented.ts': `const label = 'café €';  const x = ;\n`,
  'uses-broken.ts': `import './lib/helper.ts';\nexport {};\n`,
  'lib/helper.ts': `export const helper = (a: number) => {\n  return a +* 2;\n};\n`,
  'uses-broken.mjs': `import './lib/helper.mjs';\nexport {};\n`,
  'lib/helper.mjs': `export const helper = (a) => {\n  return a +* 2;\n};\n`,
});
afterAll(() => project.dispose());

describe('a pipeline module with a syntax error', () => {
  test.each([
    ['TypeScript (.ts)', 'broken.ts', 'syntax error at broken.ts:4:18: Unexpected ";"'],
    ['JavaScript (.mjs)', 'broken.mjs', "syntax error at broken.mjs:4:18: Unexpected token ';'"],
    [
      // Columns count characters, whatever their UTF-8 length.
      'TypeScript with accented characters before the error',
      'accented.ts',
      'syntax error at accented.ts:1:36: Unexpected ";"',
    ],
    [
      'a TypeScript module it imports, named',
      'uses-broken.ts',
      'syntax error at lib/helper.ts:2:13: Unexpected "*"',
    ],
    [
      // Node does not say which imported ES module failed to parse.
      'an ES module it imports',
      'uses-broken.mjs',
      "syntax error in a module uses-broken.mjs imports: Unexpected token '*'",
    ],
  ])('%s: one line naming where and the parser message, exit 2', async (_, module, reason) => {
    const result = await project.cli(['run', module, '--input', 'n=1']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([`memoflow: cannot load ${module}: ${reason}`]);
  });
});
