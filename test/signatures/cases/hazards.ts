import { MARK, main, type SignatureCase } from '../harness.ts';

/** A function whose body is `body`, in lib.ts after `setup`; main.ts reports it. */
const hazard = (
  name: string,
  setup: string,
  body: string,
  expectation: `warns:${string}`,
  knownStale?: string,
): SignatureCase => ({
  name,
  knownStale,
  files: {
    'lib.ts': `${setup.trim()}\nexport function work(n: number) {\n  ${MARK}\n  ${body.trim()}\n}\n`,
    'main.ts': main(`
import { work } from './lib.ts';
await report('work', func({ cache }, work), [2]);
`),
  },
  expect: { work: expectation },
});

const withWorkerScript = (c: SignatureCase): SignatureCase => ({
  ...c,
  files: {
    ...c.files,
    'w.js': "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage(2);\n",
  },
});

const csvMain = main(`
import { readFileSync } from 'node:fs';
const total = func({ cache, files: ['data/*.csv'] }, (column: number) => {
  ${MARK}
  return readFileSync('data/a.csv', 'utf8').split(',').length + column;
});
await report('total', total, [1]);
`);

/** What no hash can see is reported once per function, naming the line and the fix. */
export const hazards: SignatureCase[] = [
  hazard(
    'a module-level `registry.set(...)` the function reads: warns with the line',
    "const registry = new Map<string, number>();\nregistry.set('rate', 2);",
    "return n * registry.get('rate')!;",
    'warns:registry@registry.set',
  ),
  hazard(
    'a module-level `X.prototype.m = …` the function relies on: warns with the line',
    'class Rate {\n  value = 2;\n}\n(Rate.prototype as any).apply = function (this: Rate, n: number) {\n  return n * this.value;\n};',
    'return (new Rate() as any).apply(n);',
    'warns:prototype',
  ),
  hazard(
    'a module-level `Object.assign(CONFIG, …)` the function reads: warns with the line',
    'const CONFIG = { rate: 1 };\nObject.assign(CONFIG, { rate: 2 });',
    'return n * CONFIG.rate;',
    'warns:CONFIG@Object.assign',
  ),
  hazard(
    'a module `let` reassigned that the function reads: warns with the line',
    'let rate = 1;\nexport function configure() {\n  rate = 2;\n}\nconfigure();',
    'return n * rate;',
    'warns:rate@rate = 2',
  ),
  hazard(
    'a file read with `fs.readFileSync`: warns with the line and the `files` option',
    "import { readFileSync } from 'node:fs';",
    "return readFileSync('lib.ts', 'utf8').length + n;",
    'warns:files@readFileSync',
  ),
  hazard(
    'a child process run with `execFileSync`: warns with the line',
    "import { execFileSync } from 'node:child_process';",
    "return String(execFileSync(process.execPath, ['-e', 'console.log(1)'])).trim().length + n;",
    'warns:child_process@execFileSync',
  ),
  withWorkerScript(
    hazard(
      "a worker script started with `new Worker('./w.js')`: warns with the line",
      "import { Worker } from 'node:worker_threads';",
      "return new Promise((resolve) => new Worker(new URL('./w.js', import.meta.url)).once('message', resolve));",
      'warns:worker@Worker',
    ),
  ),
  hazard(
    'a `globalThis` property read: warns with the line',
    '(globalThis as any).caseRate = 2;',
    'return n * (globalThis as any).caseRate;',
    'warns:globalThis@return n * (globalThis',
  ),
  hazard('`eval` in the function: warns with the line', '', "return eval('n * 2');", 'warns:eval'),
  hazard(
    '`Date.now()` in the function: warns with the line',
    '',
    'return Date.now() > 0 ? n : 0;',
    'warns:Date.now',
  ),
  hazard(
    '`Math.random()` in the function: warns with the line',
    '',
    'return Math.random() >= 0 ? n : 0;',
    'warns:Math.random',
  ),
  {
    name: '`Date.now()` in a helper in another module: warns with the helper’s line',
    files: {
      'clock.ts': `export const stamp = () => Date.now();\n`,
      'main.ts': main(`
import { stamp } from './clock.ts';
const work = func({ cache }, (n: number) => {
  ${MARK}
  return stamp() > 0 ? n : 0;
});
await report('work', work, [2]);
`),
    },
    expect: { work: 'warns:Date.now' },
  },
  {
    name: "`files: ['data/*.csv']`: editing data/a.csv misses",
    files: { 'data/a.csv': '1,2,3\n', 'main.ts': csvMain },
    edit: { files: { 'data/a.csv': '1,2,3,4\n' } },
    expect: { total: 'miss' },
  },
  {
    name: "`files: ['data/*.csv']`: adding a matching file misses",
    files: { 'data/a.csv': '1,2,3\n', 'main.ts': csvMain },
    edit: { files: { 'data/b.csv': '9\n' } },
    expect: { total: 'miss' },
  },
  {
    name: "`files: ['data/*.csv']`: editing a file the glob does not match hits",
    files: { 'data/a.csv': '1,2,3\n', 'data/notes.txt': 'a\n', 'main.ts': csvMain },
    edit: { files: { 'data/notes.txt': 'b\n' } },
    expect: { total: 'hit' },
  },
];
