/**
 * In-memory hit through func() against the usual in-process memoizers, on the same arguments.
 * Every case returns a promise that the harness awaits, as a caller of an async memoized function would.
 */
import memoizee from 'memoizee';
import moizeModule from 'moize';
import pMemoize from 'p-memoize';

// moize's typings describe its CommonJS export as a namespace; at runtime the default import is the moize function.
const moize = moizeModule as unknown as typeof moizeModule.default;

import { func, MemoryCache } from '../packages/core/src/index.ts';
import { compare, report } from './_harness.ts';

const twoArgs = async (n: number, s: string) => n + s.length;
const oneObject = async (o: { a: number; b: number[] }) => o.a + o.b.length;

const memoflowTwo = func({ cache: new MemoryCache() }, twoArgs);
const memoflowObject = func({ cache: new MemoryCache() }, oneObject);
const jsonKey = (args: unknown[]) => JSON.stringify(args);
const pMemoizeTwo = pMemoize(twoArgs, { cacheKey: jsonKey });
const pMemoizeObject = pMemoize(oneObject, { cacheKey: jsonKey });
// moize keeps one entry unless told otherwise; every memoizer here keeps all it sees.
const moizeTwo = moize.serialize(twoArgs, { maxSize: Number.POSITIVE_INFINITY });
const moizeObject = moize.serialize(oneObject, { maxSize: Number.POSITIVE_INFINITY });
const memoizeeTwo = memoizee(twoArgs, { primitive: true });
const memoizeeObject = memoizee(oneObject, { normalizer: (args) => JSON.stringify(args[0]) });
const memoizeeTwoKeys = memoizee(twoArgs, { primitive: true });

const fresh = () => ({ a: 1, b: [1, 2, 3] });
for (const f of [memoflowTwo, pMemoizeTwo, moizeTwo, memoizeeTwo]) await f(42, 'abc');
for (const f of [memoflowObject, pMemoizeObject, moizeObject, memoizeeObject]) await f(fresh());

report(
  'In-memory hit, args (42, "abc")',
  await compare([
    { name: 'memoflow func()', fn: () => memoflowTwo(42, 'abc') },
    { name: 'p-memoize (JSON.stringify key)', fn: () => pMemoizeTwo(42, 'abc') },
    { name: 'moize.serialize', fn: () => moizeTwo(42, 'abc') },
    { name: 'memoizee primitive', fn: () => memoizeeTwo(42, 'abc') },
  ]),
);

// Two argument lists in turn: no memoizer can answer from its most-recent-call shortcut.
let turn = 0;
const alternate =
  <R>(f: (n: number, s: string) => R) =>
  () =>
    f(42 + (turn++ & 1), 'abc');
for (const f of [memoflowTwo, pMemoizeTwo, moizeTwo, memoizeeTwoKeys])
  await Promise.all([f(42, 'abc'), f(43, 'abc')]);
report(
  'In-memory hit, args (42, "abc") and (43, "abc") in turn',
  await compare([
    { name: 'memoflow func()', fn: alternate(memoflowTwo) },
    { name: 'p-memoize (JSON.stringify key)', fn: alternate(pMemoizeTwo) },
    { name: 'moize.serialize', fn: alternate(moizeTwo) },
    { name: 'memoizee primitive', fn: alternate(memoizeeTwoKeys) },
  ]),
);

report(
  'In-memory hit, a fresh { a: 1, b: [1, 2, 3] } each call',
  await compare([
    { name: 'memoflow func()', fn: () => memoflowObject(fresh()) },
    { name: 'p-memoize (JSON.stringify key)', fn: () => pMemoizeObject(fresh()) },
    { name: 'moize.serialize', fn: () => moizeObject(fresh()) },
    { name: 'memoizee (JSON normalizer)', fn: () => memoizeeObject(fresh()) },
  ]),
);
