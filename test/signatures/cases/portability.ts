import { builtCore, emitOptions } from '../core-package.ts';
import { MARK, main, type SignatureCase } from '../harness.ts';

const files = {
  'rate.ts': `export function rate(n: number): number {\n  return n * 2;\n}\n`,
  'main.ts': main(`
import { rate } from './rate.ts';
const price = func({ cache }, async (n: number): Promise<number> => {
  ${MARK}
  return rate(n) + 1;
});
await report('price', price, [5]);
`),
};

/** The same code gives the same key under any loader, in any folder; edits that change nothing hit. */
export const portability: SignatureCase[] = [
  {
    name: 'the program under tsx, then compiled by tsc and run under plain node: hits',
    files: {
      ...files,
      'tsconfig.json': JSON.stringify({
        compilerOptions: { ...emitOptions, outDir: 'dist', rootDir: '.' },
        include: ['*.ts'],
      }),
    },
    edit: {
      entry: 'dist/main.js',
      plainNode: true,
      after: async (project) => {
        await project.tsc(['-p', '.', '--noCheck']);
        project.link('@memoflow/core', await builtCore());
      },
    },
    expect: { price: 'hit' },
  },
  {
    name: 'the project copied to another folder: hits',
    files,
    edit: { moveProject: true },
    expect: { price: 'hit' },
  },
  {
    name: 'reformatting the function and its helper: hits',
    files,
    edit: {
      files: {
        'main.ts': (text) => text.replace('return rate(n) + 1;', 'return (\n    rate( n )+1\n  )'),
        'rate.ts': (text) => text.replace('return n * 2;', 'return n*2'),
      },
    },
    expect: { price: 'hit' },
  },
  {
    name: 'adding comments to the function and its helper: hits',
    files,
    edit: {
      files: {
        'main.ts': (text) =>
          text.replace('return rate(n) + 1;', '// one more than the rate\n  return rate(n) /* base */ + 1;'),
        'rate.ts': (text) => `/** Twice. */\n${text}`,
      },
    },
    expect: { price: 'hit' },
  },
  {
    name: 'changing only type annotations: hits',
    files,
    edit: {
      files: {
        'main.ts': (text) => text.replace('async (n: number): Promise<number> =>', 'async (n: any) =>'),
        'rate.ts': (text) => text.replace('rate(n: number): number', 'rate<T extends number>(n: T): number'),
      },
    },
    expect: { price: 'hit' },
  },
  {
    name: 'adding an unrelated function to the helper module: hits',
    files,
    edit: { files: { 'rate.ts': (text) => `${text}export const unrelated = () => 42;\n` } },
    expect: { price: 'hit' },
  },
  {
    name: 'adding an unrelated import and statement to main.ts: hits',
    files,
    edit: {
      files: { 'main.ts': (text) => `import { sep } from 'node:path';\nconsole.error(sep.length);\n${text}` },
    },
    expect: { price: 'hit' },
  },
];
