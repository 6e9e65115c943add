import { MARK, main, type SignatureCase } from '../harness.ts';

const lib = `function helper(n: number) {
  return n + 1;
}
export function run(n: number) {
  ${MARK}
  return helper(n);
}
`;

const lookAlikeMain = main(`
import * as lib from './lib.ts';

function helper(n: number) {
  return n + 1;
}
function run(n: number) {
  ${MARK}
  return helper(n);
}
void run;

await report('run', func({ cache }, lib.run), [1]);
`);

const rated = (rate: number) =>
  `const RATE = ${rate};\nexport const price = (n: number) => {\n  ${MARK}\n  return n * RATE;\n};\n`;

const sameLine = main(`
const a = func({ cache }, (x: number) => { ${MARK} return x + 1; }), b = func({ cache }, (x: number) => { ${MARK} return x + 2; });
await report('a', a, [1]);
await report('b', b, [1]);
`);

/** Which function a memoized call hashes: the one V8 runs, never a look-alike. */
export const identity: SignatureCase[] = [
  {
    name: 'func(opts, lib.run) hashes lib.ts, not a same-shaped function of the calling file: editing lib.ts misses',
    files: { 'lib.ts': lib, 'main.ts': lookAlikeMain },
    edit: { files: { 'lib.ts': (text) => text.replace('n + 1', 'n + 2') } },
    expect: { run: 'miss' },
  },
  {
    name: 'func(opts, lib.run): editing the look-alike in the calling file hits',
    files: { 'lib.ts': lib, 'main.ts': lookAlikeMain },
    edit: { files: { 'main.ts': (text) => text.replace('n + 1', 'n + 5') } },
    expect: { run: 'hit' },
  },
  {
    name: 'a renamed named import with a same-named local function: editing the imported one misses',
    files: {
      'lib.ts': lib,
      'main.ts': main(`
import { run as libRun } from './lib.ts';

function run(n: number) {
  ${MARK}
  return n + 1;
}
void run;

await report('run', func({ cache }, libRun), [1]);
`),
    },
    edit: { files: { 'lib.ts': (text) => text.replace('n + 1', 'n + 2') } },
    expect: { run: 'miss' },
  },
  {
    name: 'two functions on one line get their own keys',
    files: {
      'main.ts': sameLine,
    },
    expect: { a: 'computed', b: 'computed' },
    distinct: [['a', 'b']],
  },
  {
    name: 'two functions on one line: editing the second misses it and hits the first',
    files: {
      'main.ts': sameLine,
    },
    edit: { files: { 'main.ts': (text) => text.replace('x + 2', 'x + 3') } },
    expect: { a: 'hit', b: 'miss' },
  },
  {
    name: 'functions created in a loop over different values get different keys',
    files: {
      'main.ts': main(`
const scalers = [];
for (const k of [2, 3]) scalers.push(func({ cache }, (x: number) => { ${MARK} return x * k; }));
await report('times2', scalers[0]!, [5]);
await report('times3', scalers[1]!, [5]);
`),
    },
    expect: { times2: 'computed', times3: 'computed' },
    distinct: [['times2', 'times3']],
  },
  {
    name: 'functions made by a factory with different arguments get different keys',
    files: {
      'main.ts': main(`
function scaler(k: number) {
  return func({ cache }, (x: number) => { ${MARK} return x * k; });
}
await report('times2', scaler(2), [5]);
await report('times3', scaler(3), [5]);
`),
    },
    expect: { times2: 'computed', times3: 'computed' },
    distinct: [['times2', 'times3']],
  },
  {
    name: 'a factory in another module: editing the returned function misses',
    files: {
      'lib.ts': `export function scaler(k: number) {\n  return (x: number) => {\n    ${MARK}\n    return x * k + 1;\n  };\n}\n`,
      'main.ts': main(`
import { scaler } from './lib.ts';
await report('times2', func({ cache }, scaler(2)), [5]);
`),
    },
    edit: { files: { 'lib.ts': (text) => text.replace('x * k + 1', 'x * k + 2') } },
    expect: { times2: 'miss' },
  },
  {
    name: 'the same text in two modules reading their own constants: editing one misses only that one',
    files: {
      'a.ts': rated(2),
      'b.ts': rated(3),
      'main.ts': main(`
import { price as priceA } from './a.ts';
import { price as priceB } from './b.ts';
await report('a', func({ cache }, priceA), [10]);
await report('b', func({ cache }, priceB), [10]);
`),
    },
    edit: { files: { 'a.ts': rated(4) } },
    expect: { a: 'miss', b: 'hit' },
  },
  {
    name: 'the same text in two modules reading their own constants gets two keys',
    files: {
      'a.ts': rated(2),
      'b.ts': rated(3),
      'main.ts': main(`
import { price as priceA } from './a.ts';
import { price as priceB } from './b.ts';
await report('a', func({ cache }, priceA), [10]);
await report('b', func({ cache }, priceB), [10]);
`),
    },
    expect: { a: 'computed', b: 'computed' },
    distinct: [['a', 'b']],
  },
  {
    name: 'an anonymous default export: editing it misses',
    files: {
      'lib.ts': `export default (n: number) => {\n  ${MARK}\n  return n * 2;\n};\n`,
      'main.ts': main(`
import double from './lib.ts';
await report('double', func({ cache }, double), [4]);
`),
    },
    edit: { files: { 'lib.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { double: 'miss' },
  },
  {
    name: 'a method of an exported object literal: editing the constant it reads misses',
    files: {
      'lib.ts': `const RATE = 2;\nexport const tools = {\n  price(n: number) {\n    ${MARK}\n    return n * RATE;\n  },\n};\n`,
      'main.ts': main(`
import { tools } from './lib.ts';
await report('price', func({ cache }, tools.price), [4]);
`),
    },
    edit: { files: { 'lib.ts': (text) => text.replace('RATE = 2', 'RATE = 3') } },
    expect: { price: 'miss' },
  },
];
