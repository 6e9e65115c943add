/**
 * The function func() returns: the wrapped function's name and length, its calls forwarded as
 * made, and fast properties (V8 moves a function whose `name` or `length` was redefined to
 * dictionary properties, which every Runner's reading of `fn.options` then pays for).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { func, MemoryCache } from '../src/index.ts';

/** Functions named `counted` with 0 to 5 parameters, and 7 (past the wrappers made per count). */
const ORIGINALS = [
  function counted() {},
  function counted(_1: unknown) {},
  function counted(_1: unknown, _2: unknown) {},
  function counted(_1: unknown, _2: unknown, _3: unknown) {},
  function counted(_1: unknown, _2: unknown, _3: unknown, _4: unknown) {},
  function counted(_1: unknown, _2: unknown, _3: unknown, _4: unknown, _5: unknown) {},
  function counted(
    _1: unknown,
    _2: unknown,
    _3: unknown,
    _4: unknown,
    _5: unknown,
    _6: unknown,
    _7: unknown,
  ) {},
];

describe('the function func() returns', () => {
  test.each(ORIGINALS.map((original) => [original.length, original]))(
    'has the name and length of a function of %i parameters',
    (_length, original) => {
      const memoized = func({ cache: false }, original);
      expect(memoized.name).toBe('counted');
      expect(memoized.length).toBe(original.length);
    },
  );

  test('an arrow function assigned to nothing keeps its empty name', () => {
    expect(func({ cache: false }, (a: number) => a).name).toBe('');
  });

  test('forwards exactly the arguments passed, fewer or more than its parameters, and the receiver', async () => {
    const seen: unknown[] = [];
    const record = func({ cache: new MemoryCache() }, function (this: unknown, a?: number, b?: number) {
      // biome-ignore lint/complexity/noArguments: how many arguments arrived is what is tested
      const count = arguments.length;
      seen.push([this, count, a, b]);
      return count;
    });
    expect(record.length).toBe(2);
    const receiver = { id: 1 };
    await expect(record.call(receiver)).resolves.toBe(0);
    await expect(record.call(receiver, 1)).resolves.toBe(1);
    await expect(record.call(receiver, 1, 2)).resolves.toBe(2);
    await expect((record as (...args: number[]) => Promise<number>).call(receiver, 1, 2, 3)).resolves.toBe(3);
    expect(seen).toEqual([
      [receiver, 0, undefined, undefined],
      [receiver, 1, 1, undefined],
      [receiver, 2, 1, 2],
      [receiver, 3, 1, 2],
    ]);
  });

  test('keeps fast properties, up to five parameters and in the decorator form', () => {
    const dir = mkdtempSync(join(tmpdir(), 'memoflow-wrapper-'));
    try {
      const script = join(dir, 'probe.mts');
      const core = pathToFileURL(join(import.meta.dirname, '../src/index.ts')).href;
      writeFileSync(
        script,
        [
          `import { func } from ${JSON.stringify(core)};`,
          'const fast = (f: unknown) => eval("%HasFastProperties(f)");',
          'const results: boolean[] = [];',
          'results.push(fast(func({ output: "zero" }, () => 0)));',
          'results.push(fast(func({ output: "two" }, (a: number, b: number) => a + b)));',
          'results.push(fast(func({ output: "five" }, (a: number, b: number, c: number, d: number, e: number) => a + b + c + d + e)));',
          'class Model { @func({ output: "trained" }) train(data: number) { return data; } }',
          'results.push(fast(Model.prototype.train));',
          'console.log(JSON.stringify(results));',
        ].join('\n'),
      );
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
      const stdout = execFileSync(
        process.execPath,
        ['--allow-natives-syntax', '--conditions=memoflow-source', '--import', tsx, script],
        { encoding: 'utf8' },
      );
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual([true, true, true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
