/**
 * Typed pipelines: what `func()` keeps in a node's type, what `new Pipeline([...])` infers from
 * its nodes, and what `runner.run()` requires and returns. The checks are the compiler's (the
 * repository's typecheck runs over this file); each `@ts-expect-error` line is a wiring or run
 * mistake that must not compile. The runs are real, so what the types say is what a run does.
 */
import { describe, expect, expectTypeOf, test } from 'vitest';
import {
  func,
  type Memoized,
  MemoryCache,
  Pipeline,
  type PipelineInputs,
  type PipelineOutputs,
  type PipelineResult,
  Runner,
} from '../src/index.ts';

interface Row {
  id: number;
  score: number;
}

interface Config {
  threshold: number;
  title: string;
}

const load = func(
  { output: 'rows', inputs: ['path'] as const },
  async (path: string): Promise<Row[]> => [
    { id: path.length, score: 1 },
    { id: 2, score: 5 },
  ],
);
const clean = func(
  { output: 'clean', inputs: ['rows', 'threshold'] as const },
  ({ rows, threshold }: { rows: Row[]; threshold: number }) => rows.filter((row) => row.score > threshold),
);
const scores = func({ output: 'scores', map: 'clean' }, async (clean: Row) => clean.score * 2);
const summary = func(
  { output: 'summary', inputs: ['scores', 'title'] as const },
  (scores: number[], title: string) => `${title}: ${scores.length}`,
);
const typed = new Pipeline([load, clean, scores, summary]);

/** The types a Pipeline reads from a node. */
type NodeOf<M extends Memoized<(...args: never[]) => unknown, string, unknown, unknown>> = NonNullable<
  M['~node']
>;

const runner = () => new Runner({ cache: { backend: new MemoryCache() } });

describe('func() keeps what a pipeline needs in the type', () => {
  test('the output name as a literal type, also as `.node`', () => {
    expectTypeOf(load.node).toEqualTypeOf<'rows'>();
    expectTypeOf<NodeOf<typeof load>['output']>().toEqualTypeOf<'rows'>();
    expect(load.node).toBe('rows');
  });

  test('`inputs: [...] as const` naming every property of a single parameter: typed by the properties', () => {
    expectTypeOf<NodeOf<typeof clean>['inputs']>().toEqualTypeOf<{ rows: Row[]; threshold: number }>();
    expect(new Pipeline([clean]).producer('clean')).toMatchObject({
      inputs: ['rows', 'threshold'],
      style: 'object',
    });
  });

  test('`inputs` on a destructured parameter hash a direct call as without them: one object argument', async () => {
    const body = ({ rows, threshold }: { rows: Row[]; threshold: number }) => rows.length > threshold;
    const named = func({ cache: false, inputs: ['rows', 'threshold'] as const }, body);
    const read = func({ cache: false }, body);
    const args = { rows: [{ id: 1, score: 2 }], threshold: 0 };
    expect((await named.signature(args)).inputsHash).toBe((await read.signature(args)).inputsHash);
    expect(await named(args)).toBe(true);
  });

  test('one parameter of an object type without `inputs` is untyped: destructured or positional, the type cannot tell', () => {
    const destructured = func({ output: 'clean' }, ({ rows }: { rows: Row[] }) => rows);
    expectTypeOf<NodeOf<typeof destructured>['inputs']>().toBeUnknown();
    const positional = func({ output: 'threshold' }, (config: Config) => config.threshold);
    expectTypeOf<NodeOf<typeof positional>['inputs']>().toBeUnknown();
    const some = func(
      { output: 'part', inputs: ['threshold'] as const },
      ({ threshold }: Config) => threshold,
    );
    expectTypeOf<NodeOf<typeof some>['inputs']>().toBeUnknown();
  });

  test('`inputs` on one parameter of an object type that are not its properties: that parameter, positional', async () => {
    const positional = func(
      { output: 'threshold', inputs: ['config'] as const },
      (config: Config) => config.threshold,
    );
    expectTypeOf<NodeOf<typeof positional>['inputs']>().toEqualTypeOf<{ config: Config }>();
    const pipeline = new Pipeline([positional]);
    expect(pipeline.producer('threshold')).toMatchObject({ inputs: ['config'], style: 'positional' });
    const { outputs } = await runner().run(pipeline, { config: { threshold: 3, title: 't' } });
    expectTypeOf(outputs).toEqualTypeOf<{ threshold: number }>();
    expect(outputs).toEqual({ threshold: 3 });
  });

  test('`inputs: [...] as const`: the names, typed by the parameters in order', () => {
    expectTypeOf<NodeOf<typeof summary>['inputs']>().toEqualTypeOf<{ scores: number[]; title: string }>();
  });

  test('a mapped node takes an array of its parameter and produces an array', () => {
    expectTypeOf<NodeOf<typeof scores>['inputs']>().toEqualTypeOf<{ clean: readonly Row[] }>();
    expectTypeOf<NodeOf<typeof scores>['value']>().toEqualTypeOf<number[]>();
    expectTypeOf(scores).parameter(0).toEqualTypeOf<Row>();
  });

  test('positional parameters without `inputs` are untyped; no output name is `string`', () => {
    const positional = func({ output: 'sum' }, (a: number, b: number) => a + b);
    expectTypeOf<NodeOf<typeof positional>['inputs']>().toBeUnknown();
    const unnamed = func((a: number) => a);
    expectTypeOf<NodeOf<typeof unnamed>['output']>().toEqualTypeOf<string>();
    const none = func({ output: 'now' }, () => 1);
    expectTypeOf<NodeOf<typeof none>['inputs']>().toEqualTypeOf<{}>();
  });

  test('one parameter of a class type (with methods) is untyped without `inputs`, that parameter with them', () => {
    const day = func({ output: 'day' }, (date: Date) => date.getDay());
    expectTypeOf<NodeOf<typeof day>['inputs']>().toBeUnknown();
    const typedDay = func({ output: 'day', inputs: ['date'] as const }, (date: Date) => date.getDay());
    expectTypeOf<NodeOf<typeof typedDay>['inputs']>().toEqualTypeOf<{ date: Date }>();
  });
});

describe('new Pipeline([...]) infers its outputs and inputs', () => {
  test('outputs: every output name → the awaited return type', () => {
    expectTypeOf<PipelineOutputs<typeof typed>>().toEqualTypeOf<{
      rows: Row[];
      clean: Row[];
      scores: number[];
      summary: string;
    }>();
  });

  test('inputs: the names no node produces, with their parameter types', () => {
    expectTypeOf<PipelineInputs<typeof typed>>().toEqualTypeOf<{
      path: string;
      threshold: number;
      title: string;
    }>();
    expectTypeOf<PipelineInputs<typeof typed, 'rows'>>().toEqualTypeOf<{
      path: string;
      threshold?: number;
      title?: string;
    }>();
  });

  test('a run returns the final outputs by default, the requested ones when given', async () => {
    const all = await runner().run(typed, { path: 'abc', threshold: 2, title: 'n' });
    expectTypeOf(all.outputs).toEqualTypeOf<{ summary: string }>();
    expect(all.outputs).toEqual({ summary: 'n: 1' });

    const some = await runner().run(typed, { path: 'abc', threshold: 2 }, { outputs: ['scores', 'rows'] });
    expectTypeOf(some.outputs).toEqualTypeOf<{ scores: number[]; rows: Row[] }>();
    expect(some.outputs).toEqual({
      scores: [10],
      rows: [
        { id: 3, score: 1 },
        { id: 2, score: 5 },
      ],
    });
    expectTypeOf<PipelineResult<typeof typed, 'clean'>>().toEqualTypeOf<{ clean: Row[] }>();
  });

  test('a pipeline with no inputs runs without an inputs argument', async () => {
    const seed = func({ output: 'seed' }, () => 7);
    const double = func(
      { output: 'double', inputs: ['seed'] as const },
      ({ seed }: { seed: number }) => seed * 2,
    );
    const { outputs } = await runner().run(new Pipeline([seed, double]));
    expectTypeOf(outputs).toEqualTypeOf<{ double: number }>();
    expect(outputs).toEqual({ double: 14 });
  });

  test('pipelines compose: the outer one types its nested nodes, and wires them to its own', async () => {
    const title = func({ output: 'title', inputs: ['path'] as const }, ({ path }: { path: string }) =>
      path.toUpperCase(),
    );
    const outer = new Pipeline([new Pipeline([load, clean, scores]), summary, title]);
    expectTypeOf<PipelineInputs<typeof outer>>().toEqualTypeOf<{ path: string; threshold: number }>();
    const { outputs } = await runner().run(outer, { path: 'abc', threshold: 2 });
    expectTypeOf(outputs).toEqualTypeOf<{ summary: string }>();
    expect(outputs).toEqual({ summary: 'ABC: 1' });
  });

  test('untyped nodes still compile: their outputs are typed, the rest is loose', async () => {
    const positional = func({ output: 'total' }, (scores: number[]) => scores.reduce((a, b) => a + b, 0));
    const loose = new Pipeline([load, clean, scores, positional]);
    const { outputs } = await runner().run(loose, { path: 'abc', threshold: 2 });
    expectTypeOf(outputs).toEqualTypeOf<Partial<PipelineOutputs<typeof loose>>>();
    expect(outputs).toEqual({ total: 10 });
    const requested = await runner().run(loose, { path: 'abc', threshold: 2 }, { outputs: ['total'] });
    expectTypeOf(requested.outputs).toEqualTypeOf<{ total: number }>();
  });

  test('a node with a plain object parameter wired from its producer compiles: no false error, its input loose', async () => {
    const config = func({ output: 'config' }, (): Config => ({ threshold: 4, title: 'c' }));
    const threshold = func({ output: 'threshold' }, (config: Config) => config.threshold);
    const pipeline = new Pipeline([config, threshold]);
    expect(pipeline.producer('threshold')).toMatchObject({ inputs: ['config'], style: 'positional' });
    expectTypeOf<PipelineInputs<typeof pipeline>>().toEqualTypeOf<{ [name: string]: unknown }>();
    const { outputs } = await runner().run(pipeline);
    expectTypeOf(outputs).toEqualTypeOf<Partial<PipelineOutputs<typeof pipeline>>>();
    expect(outputs).toEqual({ threshold: 4 });
    const requested = await runner().run(pipeline, {}, { outputs: ['threshold'] });
    expectTypeOf(requested.outputs).toEqualTypeOf<{ threshold: number }>();
  });

  test('a Pipeline typed only as `Pipeline` takes any inputs and outputs', async () => {
    const anyPipeline: Pipeline = typed;
    const { outputs } = await runner().run(
      anyPipeline,
      { path: 'abc', threshold: 2, title: 't' },
      { outputs: ['summary'] },
    );
    expectTypeOf(outputs).toEqualTypeOf<{ summary: unknown }>();
    expect(outputs).toEqual({ summary: 't: 1' });
    const all = await runner().run(anyPipeline, { path: 'abc', threshold: 2, title: 't' });
    expectTypeOf(all.outputs).toEqualTypeOf<{ [name: string]: unknown }>();
  });
});

describe('mistakes do not compile', () => {
  test('a parameter whose type does not accept its producer’s return type', () => {
    const label = func({ output: 'label', inputs: ['rows'] as const }, ({ rows }: { rows: string[] }) =>
      rows.join(),
    );
    // @ts-expect-error `label` takes `rows` as string[], `load` returns Row[].
    expect(() => new Pipeline([load, label])).not.toThrow();
    const count = func({ output: 'count', map: 'rows' }, (rows: string) => rows.length);
    // @ts-expect-error mapped over `rows`: each item is a Row, not a string.
    expect(() => new Pipeline([load, count])).not.toThrow();
    const nested = new Pipeline([load]);
    // @ts-expect-error the nested pipeline's `rows` reaches `label`.
    expect(() => new Pipeline([nested, label])).not.toThrow();
  });

  test('a missing or mistyped input of run()', async () => {
    const run = runner();
    // @ts-expect-error `threshold` and `title` are missing.
    await expect(run.run(typed, { path: 'abc' })).rejects.toMatchObject({ code: 'MISSING_INPUT' });
    // @ts-expect-error no inputs at all.
    await expect(run.run(typed)).rejects.toMatchObject({ code: 'MISSING_INPUT' });
    const mistyped = { path: 'abc', threshold: 'high', title: 't' };
    // @ts-expect-error `threshold` is a number.
    const cleaned = run.run(typed, mistyped, { outputs: ['clean'] });
    await expect(cleaned).resolves.toMatchObject({ outputs: { clean: [] } });
  });

  test('requesting an output the pipeline does not have', async () => {
    const inputs = { path: 'abc', threshold: 2, title: 't' };
    // @ts-expect-error `score` is not an output (`scores` is).
    await expect(runner().run(typed, inputs, { outputs: ['score'] })).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});
