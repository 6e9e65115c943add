import { MARK, main, type SignatureCase } from '../harness.ts';

const rate = (value: number) => `export function rate(n: number) {\n  return n * ${value};\n}\n`;
const editRate = (text: string) => text.replace('n * 2', 'n * 3');

/** A main.ts whose memoized function calls `rate` imported by `specifier`. */
const priceVia = (specifier: string, attributes = '') =>
  main(`
import { rate } from '${specifier}'${attributes};
const price = func({ cache }, (n: number) => {
  ${MARK}
  return rate(n);
});
await report('price', price, [5]);
`);

const paths = JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } } });

const jsonMain = main(`
import rates from './rates.json' with { type: 'json' };
const price = func({ cache }, (n: number) => {
  ${MARK}
  return n * rates.factor;
});
await report('price', price, [5]);
`);

/** Whatever the running program loaded, through any resolver, is what is hashed. */
export const resolution: SignatureCase[] = [
  {
    name: 'tsconfig `paths` (`@/lib/rate`): editing the file behind it misses',
    files: { 'tsconfig.json': paths, 'src/lib/rate.ts': rate(2), 'main.ts': priceVia('@/lib/rate') },
    edit: { files: { 'src/lib/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'tsconfig `paths`: editing a module the file behind it imports through `paths` misses',
    files: {
      'tsconfig.json': paths,
      'src/lib/factor.ts': `export const factor = 2;\n`,
      'src/lib/rate.ts': `import { factor } from '@/lib/factor';\nexport function rate(n: number) {\n  return n * factor;\n}\n`,
      'main.ts': priceVia('@/lib/rate'),
    },
    edit: { files: { 'src/lib/factor.ts': `export const factor = 3;\n` } },
    expect: { price: 'miss' },
  },
  {
    name: 'tsconfig `paths`: editing another module under the same alias hits',
    files: {
      'tsconfig.json': paths,
      'src/lib/rate.ts': rate(2),
      'src/lib/other.ts': `export const other = 1;\n`,
      'main.ts': priceVia('@/lib/rate'),
    },
    edit: { files: { 'src/lib/other.ts': `export const other = 2;\n` } },
    expect: { price: 'hit' },
  },
  {
    name: 'tsconfig `extends` carrying `paths`: editing the file behind the alias misses',
    files: {
      'tsconfig.base.json': JSON.stringify({ compilerOptions: { paths: { '~lib/*': ['./shared/*'] } } }),
      'tsconfig.json': JSON.stringify({ extends: './tsconfig.base.json' }),
      'shared/rate.ts': rate(2),
      'main.ts': priceVia('~lib/rate'),
    },
    edit: { files: { 'shared/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'package.json `imports` (`#lib/rate`): editing the file behind it misses',
    files: {
      'package.json': JSON.stringify({ type: 'module', imports: { '#lib/*': './src/lib/*.ts' } }),
      'src/lib/rate.ts': rate(2),
      'main.ts': priceVia('#lib/rate'),
    },
    edit: { files: { 'src/lib/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'a `.js` specifier that loads a `.ts` file: editing the `.ts` file misses',
    files: { 'lib/rate.ts': rate(2), 'main.ts': priceVia('./lib/rate.js') },
    edit: { files: { 'lib/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'an extensionless specifier: editing the file it loads misses',
    files: { 'lib/rate.ts': rate(2), 'main.ts': priceVia('./lib/rate') },
    edit: { files: { 'lib/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'a directory specifier loading its index.ts: editing the index misses',
    files: { 'lib/index.ts': rate(2), 'main.ts': priceVia('./lib') },
    edit: { files: { 'lib/index.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'a pnpm workspace package (`workspace:*`, symlinked): editing its source misses',
    files: {
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        type: 'module',
        dependencies: { '@acme/rates': 'workspace:*' },
      }),
      'pnpm-workspace.yaml': `packages:\n  - 'packages/*'\n`,
      'packages/rates/package.json': JSON.stringify({
        name: '@acme/rates',
        version: '1.0.0',
        type: 'module',
        exports: { '.': './src/index.ts' },
      }),
      'packages/rates/src/index.ts': `export { rate } from './rate.ts';\n`,
      'packages/rates/src/rate.ts': rate(2),
      'main.ts': priceVia('@acme/rates'),
    },
    setup: async (project) => {
      await project.exec('npx', ['-y', 'pnpm@10', 'install', '--offline']);
    },
    edit: { files: { 'packages/rates/src/rate.ts': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: 'a `file:` dependency installed by npm: editing its source misses',
    files: {
      'package.json': JSON.stringify({
        name: 'app',
        private: true,
        type: 'module',
        dependencies: { 'local-rates': 'file:./local-rates' },
      }),
      'local-rates/package.json': JSON.stringify({
        name: 'local-rates',
        version: '1.0.0',
        type: 'module',
        exports: './index.js',
      }),
      'local-rates/index.js': `export function rate(n) {\n  return n * 2;\n}\n`,
      'main.ts': priceVia('local-rates'),
    },
    setup: async (project) => {
      await project.exec('npm', ['install', '--offline', '--no-audit', '--no-fund']);
    },
    edit: { files: { 'local-rates/index.js': editRate } },
    expect: { price: 'miss' },
  },
  {
    name: "a JSON module imported `with { type: 'json' }`: editing the JSON misses",
    files: {
      'rates.json': JSON.stringify({ factor: 2 }),
      'main.ts': jsonMain,
    },
    edit: { files: { 'rates.json': JSON.stringify({ factor: 3 }) } },
    expect: { price: 'miss' },
  },
  {
    name: 'a JSON file read by require(): editing the JSON misses',
    files: {
      'rates.json': JSON.stringify({ factor: 2 }),
      'price.cjs': `const rates = require('./rates.json');\nexports.price = function price(n) {\n  ${MARK}\n  return n * rates.factor;\n};\n`,
      'main.ts': main(`
import { price } from './price.cjs';
await report('price', func({ cache }, price), [5]);
`),
    },
    edit: { files: { 'rates.json': JSON.stringify({ factor: 3 }) } },
    expect: { price: 'miss' },
  },
  {
    name: 'a JSON module: editing another JSON file next to it hits',
    files: {
      'rates.json': JSON.stringify({ factor: 2 }),
      'other.json': JSON.stringify({ factor: 2 }),
      'main.ts': jsonMain,
    },
    edit: { files: { 'other.json': JSON.stringify({ factor: 3 }) } },
    expect: { price: 'hit' },
  },
];
