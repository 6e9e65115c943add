import { MARK, main, type SignatureCase } from '../harness.ts';

const scaleLib = `function offset() {\n  return 1;\n}\nexport function scale(k: number, x: number) {\n  ${MARK}\n  return k * x + offset();\n}\n`;

const boundMain = (bound: string) =>
  main(`
import { scale } from './lib.ts';
await report('scaled', func({ cache }, scale.bind(null, ${bound})), [5]);
`);

/** A bound function: its target's code, with the bound `this` and arguments as inputs. */
export const bound: SignatureCase[] = [
  {
    name: 'fn.bind(null, 2) and fn.bind(null, 3) get different keys in one process',
    files: {
      'lib.ts': scaleLib,
      'main.ts': main(`
import { scale } from './lib.ts';
await report('two', func({ cache }, scale.bind(null, 2)), [5]);
await report('three', func({ cache }, scale.bind(null, 3)), [5]);
`),
    },
    expect: { two: 'computed', three: 'computed' },
    distinct: [['two', 'three']],
  },
  {
    name: 'editing the bound target misses',
    files: { 'lib.ts': scaleLib, 'main.ts': boundMain('2') },
    edit: { files: { 'lib.ts': (text) => text.replace('k * x +', 'k * x * 2 +') } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'editing a helper the bound target calls misses',
    files: { 'lib.ts': scaleLib, 'main.ts': boundMain('2') },
    edit: { files: { 'lib.ts': (text) => text.replace('return 1;', 'return 2;') } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'changing a bound argument in the source misses',
    files: { 'lib.ts': scaleLib, 'main.ts': boundMain('2') },
    edit: { files: { 'main.ts': boundMain('3') } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'an unchanged bound function hits',
    files: { 'lib.ts': scaleLib, 'main.ts': boundMain('2') },
    edit: { files: { 'main.ts': (text) => `// run again\n${text}` } },
    expect: { scaled: 'hit' },
  },
  {
    name: 'different bound `this` values get different keys',
    files: {
      'lib.ts': `export function price(this: { rate: number }, n: number) {\n  ${MARK}\n  return n * this.rate;\n}\n`,
      'main.ts': main(`
import { price } from './lib.ts';
await report('two', func({ cache }, price.bind({ rate: 2 })), [5]);
await report('three', func({ cache }, price.bind({ rate: 3 })), [5]);
`),
    },
    expect: { two: 'computed', three: 'computed' },
    distinct: [['two', 'three']],
  },
  {
    name: 'a bound function bound again: every bound argument counts',
    files: {
      'lib.ts': `export function mix(a: number, b: number, x: number) {\n  ${MARK}\n  return a * x + b;\n}\n`,
      'main.ts': main(`
import { mix } from './lib.ts';
const half = mix.bind(null, 2);
await report('b5', func({ cache }, half.bind(null, 5)), [1]);
await report('b6', func({ cache }, half.bind(null, 6)), [1]);
`),
    },
    expect: { b5: 'computed', b6: 'computed' },
    distinct: [['b5', 'b6']],
  },
];
