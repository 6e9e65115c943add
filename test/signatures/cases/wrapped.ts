import { MARK, main, type SignatureCase } from '../harness.ts';

const tinyMemo = {
  'node_modules/tiny-memo/package.json': JSON.stringify({
    name: 'tiny-memo',
    version: '1.0.0',
    type: 'module',
    exports: './index.js',
  }),
  'node_modules/tiny-memo/index.js': `export function memoize(fn) {
  const seen = new Map();
  return function memoized(...args) {
    const key = JSON.stringify(args);
    if (!seen.has(key)) seen.set(key, fn(...args));
    return seen.get(key);
  };
}
export const compose = (...fns) => (x) => fns.reduceRight((value, fn) => fn(value), x);
export function once(fn) {
  let done = false;
  let result;
  return (...args) => (done ? result : ((done = true), (result = fn(...args))));
}
`,
};

const priceLib = `export function price(n: number) {\n  ${MARK}\n  return n * 2;\n}\nexport function tax(n: number) {\n  ${MARK}\n  return n * 1.2;\n}\n`;

const editPrice = { 'lib.ts': (text: string) => text.replace('n * 2', 'n * 3') };

/** A case on lib.ts's `price` and `tax` wrapped as `reports` show, with `imports` and `files` added. */
const wrapping = (
  name: string,
  imports: string,
  reports: string,
  rest: Omit<SignatureCase, 'name' | 'files'>,
  files: Record<string, string> = tinyMemo,
): SignatureCase => ({
  name,
  files: {
    ...files,
    'lib.ts': priceLib,
    'main.ts': main(`${imports}\nimport { price, tax } from './lib.ts';\n${reports}`),
  },
  forbid: ['could not be read'],
  ...rest,
});

const sourceMemoize = {
  'wrap.ts': `export function memoize<A extends unknown[], R>(fn: (...args: A) => R) {\n  const seen = new Map<string, R>();\n  return (...args: A): R => {\n    const key = JSON.stringify(args);\n    if (!seen.has(key)) seen.set(key, fn(...args));\n    return seen.get(key)!;\n  };\n}\n`,
};

/** Functions wrapped by a helper: the inner functions' code counts, or the wrapper is refused; keys are never shared. */
export const wrapped: SignatureCase[] = [
  wrapping(
    'memoize() from a package in node_modules: editing the inner function misses or is refused',
    "import { memoize } from 'tiny-memo';",
    "await report('price', func({ cache }, memoize(price)), [5]);",
    { edit: { files: editPrice }, expect: { price: 'miss-or-error' } },
  ),
  wrapping(
    'compose() from a package in node_modules: editing an inner function misses or is refused',
    "import { compose } from 'tiny-memo';",
    "await report('gross', func({ cache }, compose(tax, price)), [5]);",
    { edit: { files: editPrice }, expect: { gross: 'miss-or-error' } },
  ),
  wrapping(
    'once() from a package in node_modules: editing the inner function misses or is refused',
    "import { once } from 'tiny-memo';",
    "await report('price', func({ cache }, once(price)), [5]);",
    { edit: { files: editPrice }, expect: { price: 'miss-or-error' } },
  ),
  wrapping(
    'two functions wrapped by one package helper never share a key',
    "import { memoize } from 'tiny-memo';",
    "await report('price', func({ cache }, memoize(price)), [5]);\nawait report('tax', func({ cache }, memoize(tax)), [5]);",
    { expect: {}, distinct: [['price', 'tax']], refusalAllowed: '*' },
  ),
  wrapping(
    'a memoize helper in project source: editing the inner function misses',
    "import { memoize } from './wrap.ts';",
    "await report('price', func({ cache }, memoize(price)), [5]);",
    { edit: { files: editPrice }, expect: { price: 'miss-or-error' } },
    sourceMemoize,
  ),
  wrapping(
    'two functions wrapped by a project-source helper never share a key',
    "import { memoize } from './wrap.ts';",
    "await report('price', func({ cache }, memoize(price)), [5]);\nawait report('tax', func({ cache }, memoize(tax)), [5]);",
    { expect: {}, distinct: [['price', 'tax']], refusalAllowed: '*' },
    sourceMemoize,
  ),
  wrapping(
    'a wrapper in project source: editing the wrapper itself misses',
    "import { doubled } from './wrap.ts';",
    "await report('price', func({ cache }, doubled(price)), [5]);",
    {
      edit: { files: { 'wrap.ts': (text) => text.replace('* 2', '* 4') } },
      expect: { price: 'miss-or-error' },
    },
    { 'wrap.ts': `export const doubled = (fn: (n: number) => number) => (n: number) => fn(n) * 2;\n` },
  ),
];
