import { MARK, main, type SignatureCase } from '../harness.ts';

const nsModule = `import { factor } from './factor.ts';\nexport function scaled(n: number) {\n  return n * factor;\n}\nexport function unused(n: number) {\n  return n - 1;\n}\n`;

const nsMain = main(`
import * as ns from './ns.ts';
const price = func({ cache }, (n: number) => {
  ${MARK}
  return ns.scaled(n);
});
await report('price', price, [5]);
`);

/** A main.ts whose memoized function returns `expression` of `n`, after `imports`. */
const using = (imports: string, expression: string) =>
  main(`
${imports}
const price = func({ cache }, async (n: number) => {
  ${MARK}
  return ${expression};
});
await report('price', price, [5]);
`);

/** Every way one module reaches another is followed. */
export const modules: SignatureCase[] = [
  {
    name: '`import * as ns`: editing what the namespace module itself imports misses',
    files: { 'factor.ts': `export const factor = 2;\n`, 'ns.ts': nsModule, 'main.ts': nsMain },
    edit: { files: { 'factor.ts': `export const factor = 3;\n` } },
    expect: { price: 'miss' },
  },
  {
    name: '`import * as ns`: editing the used member misses',
    files: { 'factor.ts': `export const factor = 2;\n`, 'ns.ts': nsModule, 'main.ts': nsMain },
    edit: { files: { 'ns.ts': (text) => text.replace('n * factor', 'n * factor * 2') } },
    expect: { price: 'miss' },
  },
  {
    name: '`import * as ns`: editing a member never used hits',
    files: { 'factor.ts': `export const factor = 2;\n`, 'ns.ts': nsModule, 'main.ts': nsMain },
    edit: { files: { 'ns.ts': (text) => text.replace('n - 1', 'n - 2') } },
    expect: { price: 'hit' },
  },
  {
    name: '`import * as ns` used as a whole value: editing any member misses',
    files: {
      'factor.ts': `export const factor = 2;\n`,
      'ns.ts': nsModule,
      'main.ts': using(`import * as ns from './ns.ts';`, 'Object.values(ns).map((f) => f(n))'),
    },
    edit: { files: { 'ns.ts': (text) => text.replace('n - 1', 'n - 2') } },
    expect: { price: 'miss' },
  },
  {
    name: '`export * as ns` in a barrel: editing the module behind it misses',
    files: {
      'factor.ts': `export const factor = 2;\n`,
      'ns.ts': nsModule,
      'barrel.ts': `export * as ns from './ns.ts';\n`,
      'main.ts': using(`import { ns } from './barrel.ts';`, 'ns.scaled(n)'),
    },
    edit: { files: { 'ns.ts': (text) => text.replace('n * factor', 'n * factor * 2') } },
    expect: { price: 'miss' },
  },
  {
    name: '`export *` in a barrel: editing the module behind it misses',
    files: {
      'factor.ts': `export const factor = 2;\n`,
      'ns.ts': nsModule,
      'barrel.ts': `export * from './ns.ts';\n`,
      'main.ts': using(`import { scaled } from './barrel.ts';`, 'scaled(n)'),
    },
    edit: { files: { 'ns.ts': (text) => text.replace('n * factor', 'n * factor * 2') } },
    expect: { price: 'miss' },
  },
  {
    name: 'a renamed re-export (`export { scaled as times }`): editing the original misses',
    files: {
      'factor.ts': `export const factor = 2;\n`,
      'ns.ts': nsModule,
      'barrel.ts': `export { scaled as times } from './ns.ts';\n`,
      'main.ts': using(`import { times } from './barrel.ts';`, 'times(n)'),
    },
    edit: { files: { 'factor.ts': `export const factor = 3;\n` } },
    expect: { price: 'miss' },
  },
  {
    name: "`await import('./ns.ts')` in the function: editing the imported module misses",
    files: {
      'factor.ts': `export const factor = 2;\n`,
      'ns.ts': nsModule,
      'main.ts': using('', "(await import('./ns.ts')).scaled(n)"),
    },
    edit: { files: { 'ns.ts': (text) => text.replace('n * factor', 'n * factor * 2') } },
    expect: { price: 'miss' },
  },
  {
    name: "`require('./helper.cjs')` from a .cjs module: editing the required file misses",
    files: {
      'helper.cjs': `exports.factor = () => 2;\n`,
      'price.cjs': `const { factor } = require('./helper.cjs');\nexports.price = function price(n) {\n  ${MARK}\n  return n * factor();\n};\n`,
      'main.ts': main(`
import { price } from './price.cjs';
await report('price', func({ cache }, price), [5]);
`),
    },
    edit: { files: { 'helper.cjs': `exports.factor = () => 3;\n` } },
    expect: { price: 'miss' },
  },
  {
    name: "`require('./helper.cjs')` from a .cts module: editing the required file misses",
    files: {
      'helper.cjs': `exports.factor = () => 2;\n`,
      'price.cts': `const { factor } = require('./helper.cjs');\nexport function price(n: number): number {\n  ${MARK}\n  return n * factor();\n}\n`,
      'main.ts': main(`
import { price } from './price.cts';
await report('price', func({ cache }, price), [5]);
`),
    },
    edit: { files: { 'helper.cjs': `exports.factor = () => 3;\n` } },
    expect: { price: 'miss' },
  },
  {
    name: '`import scaled = Rates.scaled`: editing the namespace member misses',
    files: {
      'rates.ts': `export namespace Rates {\n  export function scaled(n: number) {\n    return n * 2;\n  }\n}\n`,
      'main.ts': using(`import { Rates } from './rates.ts';\nimport scaled = Rates.scaled;`, 'scaled(n)'),
    },
    edit: { files: { 'rates.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging, two `namespace` blocks: editing the second block misses',
    files: {
      'rates.ts': `export namespace Rates {\n  export const base = 1;\n}\nexport namespace Rates {\n  export function scaled(n: number) {\n    return n * 2;\n  }\n}\n`,
      'main.ts': using(`import { Rates } from './rates.ts';`, 'Rates.scaled(n) + Rates.base'),
    },
    edit: { files: { 'rates.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging, two `enum` blocks: editing the second block misses',
    files: {
      'tiers.ts': `export enum Tier {\n  Basic = 1,\n}\nexport enum Tier {\n  Gold = 5,\n}\n`,
      'main.ts': using(`import { Tier } from './tiers.ts';`, 'n * Tier.Gold'),
    },
    edit: { files: { 'tiers.ts': (text) => text.replace('Gold = 5', 'Gold = 6') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging, function + namespace: editing the namespace misses',
    files: {
      'tax.ts': `export function tax(n: number) {\n  return n * tax.rate;\n}\nexport namespace tax {\n  export const rate = 0.2;\n}\n`,
      'main.ts': using(`import { tax } from './tax.ts';`, 'tax(n)'),
    },
    edit: { files: { 'tax.ts': (text) => text.replace('rate = 0.2', 'rate = 0.3') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging inside the function’s own module, two `namespace` blocks: editing the second misses',
    files: {
      'rates.ts': `export namespace Rates {\n  export const base = 1;\n}\nexport namespace Rates {\n  export const factor = 2;\n}\nexport function price(n: number) {\n  ${MARK}\n  return n * Rates.factor + Rates.base;\n}\n`,
      'main.ts': main(`
import { price } from './rates.ts';
await report('price', func({ cache }, price), [5]);
`),
    },
    edit: { files: { 'rates.ts': (text) => text.replace('factor = 2', 'factor = 3') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging inside the function’s own module, two `enum` blocks: editing the second misses',
    files: {
      'tiers.ts': `enum Tier {\n  Basic = 1,\n}\nenum Tier {\n  Gold = 5,\n}\nexport function price(n: number) {\n  ${MARK}\n  return n * Tier.Gold;\n}\n`,
      'main.ts': main(`
import { price } from './tiers.ts';
await report('price', func({ cache }, price), [5]);
`),
    },
    edit: { files: { 'tiers.ts': (text) => text.replace('Gold = 5', 'Gold = 6') } },
    expect: { price: 'miss' },
  },
  {
    name: 'declaration merging, a memoized function reading its own merged namespace: editing the namespace misses',
    files: {
      'tax.ts': `export function tax(n: number) {\n  ${MARK}\n  return n * tax.rate;\n}\nexport namespace tax {\n  export const rate = 0.2;\n}\n`,
      'main.ts': main(`
import { tax } from './tax.ts';
await report('tax', func({ cache }, tax), [5]);
`),
    },
    edit: { files: { 'tax.ts': (text) => text.replace('rate = 0.2', 'rate = 0.3') } },
    expect: { tax: 'miss' },
  },
];
