import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CapturedVariableError } from '../../src/errors.ts';
import { closureValues, inspectFunction, TEMPORAL_DEAD_ZONE } from '../../src/signature/code/runtime.ts';
import { cases } from './fixtures/runtime/shapes.ts';
import {
  compileRuntime,
  expectSitesInTheirFunctions,
  fixtures,
  probe,
  probeMethods,
  repository,
  runtimeTs,
} from './fixtures/runtime/sites.ts';

let directory: string;
let compiledRuntime: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'memoflow-runtime-'));
  compiledRuntime = compileRuntime(join(directory, 'lib'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function copyInto(folder: string, file: string, type: 'module' | 'commonjs', as = file): string {
  mkdirSync(join(directory, folder), { recursive: true });
  writeFileSync(join(directory, folder, 'package.json'), JSON.stringify({ type }));
  copyFileSync(join(fixtures, file), join(directory, folder, as));
  return join(directory, folder, as);
}

describe('inspectFunction finds the exact function', () => {
  test('under vitest, through its module runner and inline source map, in the original .ts', () => {
    const sites = Object.fromEntries(Object.entries(cases).map(([name, fn]) => [name, inspectFunction(fn)]));
    expectSitesInTheirFunctions(sites, join(fixtures, 'shapes.ts'));
  });

  test('under plain node, in an ES module .mjs', () => {
    const file = join(fixtures, 'shapes.mjs');
    expectSitesInTheirFunctions(probe([], compiledRuntime, file), file);
  });

  test('under plain node, in a CommonJS .cjs and in a .js of a CommonJS package', () => {
    const cjs = join(fixtures, 'shapes.cjs');
    expectSitesInTheirFunctions(probe([], compiledRuntime, cjs), cjs);
    const js = copyInto('commonjs', 'shapes.cjs', 'commonjs', 'shapes.js');
    expectSitesInTheirFunctions(probe([], compiledRuntime, js), js);
  });

  test('in a file with CRLF line ends', () => {
    const file = join(directory, 'crlf', 'shapes.mjs');
    mkdirSync(join(directory, 'crlf'));
    writeFileSync(file, readFileSync(join(fixtures, 'shapes.mjs'), 'utf8').replace(/\n/g, '\r\n'));
    expectSitesInTheirFunctions(probe([], compiledRuntime, file), file);
  });

  test('under tsx, as an ES module and as CommonJS, mapped back to the .ts', () => {
    for (const type of ['module', 'commonjs'] as const) {
      const file = copyInto(`tsx-${type}`, 'shapes.ts', type);
      expectSitesInTheirFunctions(probe(['--import', 'tsx'], runtimeTs, file), file);
    }
  });

  test('a file unchanged since the process started needs no debugger; one written since does', () => {
    const plain = copyInto('unchanged-plain', 'shapes.mjs', 'module');
    const typescript = copyInto('unchanged-tsx', 'shapes.ts', 'module');
    for (const [args, runtime, file] of [
      [[], compiledRuntime, plain],
      [['--import', 'tsx'], runtimeTs, typescript],
    ] as const) {
      const quick = probeMethods([...args], runtime, file);
      expectSitesInTheirFunctions(quick.sites, file);
      expect(quick.methods).not.toContain('Debugger.enable');
      // Written again with the same text: plain JavaScript is then proven by V8's hash of what it
      // runs; tsx's maps carry no original text, so there the rewrite counts as an edit.
      const rewritten = probeMethods([...args], runtime, file, true);
      if (args.length === 0) expectSitesInTheirFunctions(rewritten.sites, file);
      else expect(rewritten.sites.first).toMatchObject({ kind: 'unknown' });
      expect(rewritten.methods).toContain('Debugger.enable');
    }
  });

  test('under tsx, a .ts edited after the process started is not taken for the code that runs', () => {
    const file = copyInto('tsx-edited', 'shapes.ts', 'module');
    const later = new Date(Date.now() + 60_000);
    utimesSync(file, later, later);
    expect(probe(['--import', 'tsx'], runtimeTs, file).first).toEqual({
      kind: 'unknown',
      reason: `its source file ${file} changed after this process started`,
    });
  });

  test('compiled by tsc: the .ts the .js.map points at, or the .js when the .ts is gone', () => {
    const project = join(directory, 'compiled');
    const source = copyInto('compiled/src', 'shapes.ts', 'module');
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }');
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          sourceMap: true,
          outDir: 'dist',
          rootDir: 'src',
          strict: true,
          types: [],
          skipLibCheck: true,
        },
        include: ['src'],
      }),
    );
    execFileSync(process.execPath, [join(repository, 'node_modules/typescript/bin/tsc'), '-p', project]);
    const compiled = join(project, 'dist/shapes.js');
    expectSitesInTheirFunctions(probe([], compiledRuntime, compiled), source);

    const later = new Date(Date.now() + 60_000);
    utimesSync(source, later, later);
    const stale = probe([], compiledRuntime, compiled);
    expect(stale.first).toEqual({
      kind: 'unknown',
      reason: `its source file ${source} is newer than the compiled ${compiled}; rebuild`,
    });

    unlinkSync(source);
    expectSitesInTheirFunctions(probe([], compiledRuntime, compiled), compiled);
  });

  test('a file edited after it was loaded is not taken for the code that runs', () => {
    const file = join(directory, 'edited.mjs');
    writeFileSync(file, 'export const f = (x) => x + 1;\n');
    const script = [
      `const { inspectFunction } = await import(${JSON.stringify(compiledRuntime)});`,
      `const { f } = await import(${JSON.stringify(file)});`,
      `(await import('node:fs')).writeFileSync(${JSON.stringify(file)}, 'export const f = (x) => x + 2;\\n');`,
      'process.stdout.write(JSON.stringify(inspectFunction(f)));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({
      kind: 'unknown',
      reason: `its file ${file} is not the code that runs: it changed after it was loaded, or a loader transformed it without a source map`,
    });
  });

  test('in a worker thread, through its own inspector', async () => {
    const file = join(fixtures, 'shapes.mjs');
    const script = join(directory, 'worker.mjs');
    writeFileSync(
      script,
      [
        "import { parentPort } from 'node:worker_threads';",
        `const { inspectFunction } = await import(${JSON.stringify(compiledRuntime)});`,
        `const { cases } = await import(${JSON.stringify(file)});`,
        'const sites = Object.entries(cases).map(([name, fn]) => [name, inspectFunction(fn)]);',
        'parentPort.postMessage(JSON.stringify(Object.fromEntries(sites)));',
      ].join('\n'),
    );
    const worker = new Worker(script);
    const [message] = (await once(worker, 'message')) as [string];
    await worker.terminate();
    expectSitesInTheirFunctions(JSON.parse(message), file);
  });

  test('works beside a debugger listening and another session with the debugger enabled', () => {
    const file = join(fixtures, 'shapes.mjs');
    const foreign = join(directory, 'foreign-session.mjs');
    writeFileSync(
      foreign,
      "import { Session } from 'node:inspector';\nconst s = new Session();\ns.connect();\ns.post('Debugger.enable');\n",
    );
    const sites = probe(['--inspect=127.0.0.1:0', '--import', foreign], compiledRuntime, file);
    expectSitesInTheirFunctions(sites, file);
  });
});

describe('inspectFunction kinds', () => {
  test('a bound function gives its live target, this and arguments', () => {
    const self = { name: 'self' };
    const config = { rate: 2 };
    const bound = cases.declaration!.bind(self, config, 3);
    const runtime = inspectFunction(bound);
    expect(runtime).toMatchObject({ kind: 'bound', boundArgs: [config, 3] });
    if (runtime.kind !== 'bound') throw new Error('not bound');
    expect(runtime.target).toBe(cases.declaration);
    expect(runtime.boundThis).toBe(self);
    expect(runtime.boundArgs[0]).toBe(config);
    expect(inspectFunction(cases.declaration!.bind(null)).kind).toBe('bound');
  });

  test('a bound primitive `this` comes back exactly', () => {
    const symbol = Symbol('this');
    for (const self of [
      -0,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      2n ** 70n,
      undefined,
      null,
      'text',
      symbol,
    ]) {
      const runtime = inspectFunction(cases.declaration!.bind(self));
      expect(runtime.kind === 'bound' && Object.is(runtime.boundThis, self), String(self)).toBe(true);
    }
  });

  test('built-ins are native', () => {
    expect(inspectFunction(Math.max)).toEqual({ kind: 'native' });
    expect(inspectFunction(Map)).toEqual({ kind: 'native' });
  });

  test('what has no file says why', () => {
    expect(inspectFunction(new Function('x', 'return x'))).toEqual({
      kind: 'unknown',
      reason: 'it was compiled from a string (eval, new Function or vm) and has no source file',
    });
    expect(inspectFunction(Session.prototype.connect)).toEqual({
      kind: 'unknown',
      reason: 'it is part of Node.js itself (node:inspector)',
    });
    expect(inspectFunction(new Proxy(() => 1, {}))).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('Proxy'),
    });
  });

  test('is cached per function', () => {
    expect(inspectFunction(cases.first!)).toBe(inspectFunction(cases.first!));
  });
});

describe('closureValues', () => {
  test('reads primitives by value, objects and functions as the live values', () => {
    const object = { deep: [1] };
    const symbol = Symbol('s');
    const helper = () => 1;
    const values = {
      undefinedValue: undefined,
      nullValue: null,
      negativeZero: -0,
      notANumber: Number.NaN,
      infinity: Number.POSITIVE_INFINITY,
      negativeInfinity: Number.NEGATIVE_INFINITY,
      big: 12345678901234567890n,
      text: 'text',
      flag: true,
    };
    const {
      undefinedValue,
      nullValue,
      negativeZero,
      notANumber,
      infinity,
      negativeInfinity,
      big,
      text,
      flag,
    } = values;
    const fn = () => [
      undefinedValue,
      nullValue,
      negativeZero,
      notANumber,
      infinity,
      negativeInfinity,
      big,
      text,
      flag,
      object,
      symbol,
      helper,
    ];
    const read = closureValues(fn, [
      ...Object.keys(values),
      'object',
      'symbol',
      'helper',
      'nowhere',
      'process',
    ]);
    expect(Object.fromEntries([...read].filter(([name]) => name in values))).toEqual(values);
    expect(Object.is(read.get('negativeZero'), -0)).toBe(true);
    expect(read.has('undefinedValue')).toBe(true);
    expect(read.get('object')).toBe(object);
    expect(read.get('symbol')).toBe(symbol);
    expect(read.get('helper')).toBe(helper);
    expect(read.has('nowhere')).toBe(false);
    expect(read.has('process')).toBe(false);
  });

  test('looks names up innermost scope first, through blocks, catch and module scope', () => {
    const shadowed = 'outer';
    let fn: () => unknown = () => undefined;
    try {
      throw new Error('caught');
    } catch (error) {
      const shadowed = 'inner';
      {
        const inBlock = [shadowed];
        fn = () => [shadowed, error, inBlock, directory];
      }
    }
    const read = closureValues(fn, ['shadowed', 'error', 'inBlock', 'directory']);
    expect(read.get('shadowed')).toBe('inner');
    expect((read.get('error') as Error).message).toBe('caught');
    expect(read.get('inBlock')).toEqual(['inner']);
    expect(read.get('directory')).toBe(directory);
    expect(shadowed).toBe('outer');
  });

  test('reads script-level let and const', () => {
    const fn = runInThisContext(
      'let runtimeScriptLevel = { n: 5 }; (() => runtimeScriptLevel)',
    ) as () => unknown;
    expect(closureValues(fn, ['runtimeScriptLevel']).get('runtimeScriptLevel')).toBe(fn());
  });

  test('reports a variable in its temporal dead zone as TEMPORAL_DEAD_ZONE, and its value once set', () => {
    function make() {
      const fn = () => later;
      const before = closureValues(fn, ['later']);
      const later = 'set';
      return [before, closureValues(fn, ['later'])];
    }
    const [before, after] = make();
    expect(before!.get('later')).toBe(TEMPORAL_DEAD_ZONE);
    expect(after!.get('later')).toBe('set');
  });

  test('reads the current value, not the first one', () => {
    let counter = 1;
    const fn = () => counter;
    expect(closureValues(fn, ['counter']).get('counter')).toBe(1);
    counter = 2;
    expect(closureValues(fn, ['counter']).get('counter')).toBe(2);
  });

  test('a native function has no closure', () => {
    expect(closureValues(Math.max, ['x']).size).toBe(0);
  });

  test('a name that may come from a `with` object is refused, not guessed', () => {
    const fn = runInThisContext(
      'const fromWith = 1; with ({ get fromWith() { return 2; } }) { (() => fromWith); }',
    ) as () => unknown;
    expect(fn()).toBe(2);
    expect(() => closureValues(fn, ['fromWith'])).toThrow(CapturedVariableError);
    expect(() => closureValues(fn, ['fromWith'])).toThrow(
      'Cannot read the values of `fromWith`, which `anonymous` captures: it is inside a `with` statement, whose object may hold fromWith. Pass them through `captures: { fromWith }`.',
    );
  });

  test('10,000 lookups release what the inspector holds: the heap does not grow with them', () => {
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(fixtures, 'heap.mjs'), runtimeTs],
      { cwd: repository, encoding: 'utf8' },
    );
    const { afterFirst, afterAll } = JSON.parse(output) as { afterFirst: number; afterAll: number };
    // Each lookup's function holds 8 KB; keeping them would add 80 MB.
    expect(afterAll - afterFirst).toBeLessThan(4 * 1024 * 1024);
  });
});
