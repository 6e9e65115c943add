import { MARK, main, type SignatureCase } from '../harness.ts';

const envFactory = main(`
const make = (rate: number) => (n: number) => {
  ${MARK}
  return n * rate;
};
await report('price', func({ cache }, make(Number(process.env.CASE_RATE))), [10]);
`);

/** Values a function closes over count like inputs; `captures` overrides them. */
export const closures: SignatureCase[] = [
  {
    name: 'a captured value that changes between runs misses',
    files: { 'main.ts': envFactory },
    env: { CASE_RATE: '2' },
    edit: { env: { CASE_RATE: '3' } },
    expect: { price: 'miss' },
  },
  {
    name: 'a captured value that stays the same hits',
    files: { 'main.ts': envFactory },
    env: { CASE_RATE: '2' },
    edit: { env: { CASE_RATE: '2', UNRELATED: 'x' } },
    expect: { price: 'hit' },
  },
  {
    name: 'captured objects with different contents get different keys',
    files: {
      'main.ts': main(`
const make = (config: { rate: number }) => (n: number) => {
  ${MARK}
  return n * config.rate;
};
await report('two', func({ cache }, make({ rate: 2 })), [10]);
await report('three', func({ cache }, make({ rate: 3 })), [10]);
`),
    },
    expect: { two: 'computed', three: 'computed' },
    distinct: [['two', 'three']],
  },
  {
    name: '`captures` overrides what the closure holds: different values, different keys',
    files: {
      'main.ts': main(`
const make = (k: number) => func({ cache, captures: { k } }, (x: number) => { ${MARK} return x * k; });
await report('two', make(2), [5]);
await report('three', make(3), [5]);
`),
    },
    expect: { two: 'computed', three: 'computed' },
    distinct: [['two', 'three']],
  },
  {
    name: '`captures` given a new value in the source misses',
    files: {
      'main.ts': main(`
const make = (k: number) => func({ cache, captures: { k: k + 0 } }, (x: number) => { ${MARK} return x * k; });
await report('scaled', make(2), [5]);
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('make(2)', 'make(7)') } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'a captured WeakMap fails with CAPTURED_VARIABLE naming it, with a true message',
    files: {
      'main.ts': main(`
const make = (seen: WeakMap<object, number>) => (n: number) => {
  ${MARK}
  return seen.has({}) ? 0 : n;
};
await report('lookup', func({ cache }, make(new WeakMap())), [1]);
`),
    },
    expect: { lookup: 'error:CAPTURED_VARIABLE:`seen`' },
    forbid: ['could not be read'],
  },
  {
    name: 'a captured promise fails with CAPTURED_VARIABLE naming it and the `captures` fix',
    files: {
      'main.ts': main(`
function make(pending: Promise<number>) {
  return (n: number) => {
    ${MARK}
    return pending === undefined ? 0 : n;
  };
}
await report('waiting', func({ cache }, make(Promise.resolve(1))), [1]);
`),
    },
    expect: { waiting: 'error:CAPTURED_VARIABLE:captures' },
    forbid: ['could not be read'],
  },
  {
    name: 'a constant of a module-level block: editing it misses',
    files: {
      'main.ts': main(`
let scaled;
{
  const k = 3;
  scaled = func({ cache }, (x: number) => { ${MARK} return x * k; });
}
await report('scaled', scaled, [5]);
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('k = 3', 'k = 4') } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'a captured variable reassigned after the function was made: refused with CAPTURED_VARIABLE naming where, never read stale',
    files: {
      'main.ts': main(`
function setup() {
  let k = 2;
  const scaled = func({ cache }, (x: number) => { ${MARK} return x * k; });
  k = Number(process.env.CASE_K);
  return scaled;
}
await report('scaled', setup(), [5]);
`),
    },
    env: { CASE_K: '3' },
    edit: { env: { CASE_K: '4' } },
    expect: { scaled: 'error:CAPTURED_VARIABLE:assigned again' },
  },
  {
    name: 'a captured variable reassigned after the function was made, given by a `captures` getter: its value at the call counts',
    files: {
      'main.ts': main(`
function setup() {
  let k = 2;
  const scaled = func({ cache, captures: { get k() { return k; } } }, (x: number) => { ${MARK} return x * k; });
  k = Number(process.env.CASE_K);
  return scaled;
}
await report('scaled', setup(), [5]);
`),
    },
    env: { CASE_K: '3' },
    edit: { env: { CASE_K: '4' } },
    expect: { scaled: 'miss' },
  },
  {
    name: 'two levels of closure: both captured values count',
    files: {
      'main.ts': main(`
const outer = (a: number) => (b: number) => (x: number) => {
  ${MARK}
  return x * a + b;
};
await report('a1b1', func({ cache }, outer(1)(1)), [5]);
await report('a1b2', func({ cache }, outer(1)(2)), [5]);
await report('a2b1', func({ cache }, outer(2)(1)), [5]);
`),
    },
    expect: { a1b1: 'computed', a1b2: 'computed', a2b1: 'computed' },
    distinct: [['a1b1', 'a1b2', 'a2b1']],
  },
  {
    name: 'a captured function: editing its code misses',
    files: {
      'lib.ts': `export const round = (n: number) => Math.round(n * 10) / 10;\n`,
      'main.ts': main(`
import { round } from './lib.ts';
const make = (finish: (n: number) => number) => (n: number) => {
  ${MARK}
  return finish(n / 3);
};
await report('thirds', func({ cache }, make(round)), [10]);
`),
    },
    edit: { files: { 'lib.ts': (text) => text.replace('n * 10) / 10', 'n * 100) / 100') } },
    expect: { thirds: 'miss' },
  },
];
