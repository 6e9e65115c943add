import { describe, expect, test } from 'vitest';
import { ConfigError, CycleError, DuplicateOutputError, type MemoflowError } from '../src/errors.ts';
import { func } from '../src/memo/func.ts';
import { ancestors, topologicalOrder } from '../src/pipeline/graph.ts';
import { Pipeline, type PipelineNode } from '../src/pipeline/pipeline.ts';

const load = func({ output: 'rows' }, async (path: string) => [path.length, 1, 2]);
const clean = func({ output: 'clean' }, (rows: number[], threshold: number) =>
  rows.filter((row) => row > threshold),
);
const score = func({ output: 'scores', map: 'clean' }, async (clean: number) => clean * 2);
const summary = func(
  { output: 'summary' },
  async ({ scores, rows }: { scores: number[]; rows: number[] }) => ({
    total: scores.length,
    of: rows.length,
  }),
);
const labelled = func({ output: 'label', inputs: ['summary', 'title'] }, async (...parts: unknown[]) =>
  parts.join(' '),
);

const names = (nodes: readonly PipelineNode[]) => nodes.map((node) => node.name);

/** Every edge goes from an earlier node to a later one. */
function expectTopological(pipeline: Pipeline) {
  const position = new Map(pipeline.outputs.map((name, i) => [name, i]));
  const backwards = pipeline.edges().filter(([from, to]) => !(position.get(from)! < position.get(to)!));
  expect(backwards).toEqual([]);
}

describe('wiring', () => {
  test('nodes are wired by parameter name to the node of that output', () => {
    const pipeline = new Pipeline([load, clean, score]);
    expect(names(pipeline.nodes)).toEqual(['rows', 'clean', 'scores']);
    const [rows, cleaned, scores] = pipeline.nodes;
    expect(rows).toMatchObject({ name: 'rows', inputs: ['path'], style: 'positional', fn: load });
    expect(cleaned).toMatchObject({ name: 'clean', inputs: ['rows', 'threshold'], style: 'positional' });
    expect(scores).toMatchObject({ name: 'scores', inputs: ['clean'], map: 'clean', fn: score });
    expect(rows!.map).toBeUndefined();
    expect(rows!.location).toMatch(/pipeline\.test\.ts:\d+$/);
    expect(pipeline.edges()).toEqual([
      ['rows', 'clean'],
      ['clean', 'scores'],
    ]);
    expect(pipeline.producer('clean')).toBe(cleaned);
    expect(pipeline.producer('path')).toBeUndefined();
  });

  test('a destructured ({ a, b }) parameter is an object-style node taking a and b', () => {
    const pipeline = new Pipeline([load, clean, score, summary]);
    expect(pipeline.producer('summary')).toMatchObject({ inputs: ['scores', 'rows'], style: 'object' });
    expect(pipeline.edges().filter(([, to]) => to === 'summary')).toEqual([
      ['scores', 'summary'],
      ['rows', 'summary'],
    ]);
  });

  test('the `inputs` option names the inputs of a function whose parameters do not', () => {
    const pipeline = new Pipeline([load, clean, score, summary, labelled]);
    expect(pipeline.producer('label')).toMatchObject({ inputs: ['summary', 'title'], style: 'positional' });
    expect(pipeline.inputs).toEqual(['path', 'threshold', 'title']);
  });

  test('nodes come in a topological order whatever order they are listed in', () => {
    const pipeline = new Pipeline([labelled, summary, score, clean, load]);
    expect(names(pipeline.nodes)).toEqual(['rows', 'clean', 'scores', 'summary', 'label']);
    expect(pipeline.outputs).toEqual(['rows', 'clean', 'scores', 'summary', 'label']);
    expectTopological(pipeline);
  });

  test('nodes listed producers-first keep their listed order', () => {
    const a = func({ output: 'a' }, async (seed: number) => seed);
    const b = func({ output: 'b' }, async (seed: number) => seed);
    const c = func({ output: 'c' }, async (a: number) => a);
    const pipeline = new Pipeline([a, b, c]);
    expect(pipeline.outputs).toEqual(['a', 'b', 'c']);
  });

  test('inputs are the sorted names no node produces; outputs are every node name', () => {
    const pipeline = new Pipeline([labelled, clean, load]);
    expect(pipeline.inputs).toEqual(['path', 'summary', 'threshold', 'title']);
    expect(new Set(pipeline.outputs)).toEqual(new Set(['rows', 'clean', 'label']));
  });

  test('the node lists are frozen, so a caller cannot rewire a pipeline', () => {
    const pipeline = new Pipeline([load, clean]);
    expect(Object.isFrozen(pipeline.nodes)).toBe(true);
    expect(Object.isFrozen(pipeline.nodes[0])).toBe(true);
    expect(Object.isFrozen(pipeline.inputs)).toBe(true);
  });

  test('an empty pipeline has no nodes, inputs or outputs', () => {
    const pipeline = new Pipeline([]);
    expect(pipeline.nodes).toEqual([]);
    expect(pipeline.inputs).toEqual([]);
    expect(pipeline.plan()).toEqual([]);
  });
});

describe('plan', () => {
  const pipeline = new Pipeline([labelled, summary, score, clean, load]);

  test('without outputs it is every node in topological order', () => {
    expect(pipeline.plan()).toBe(pipeline.nodes);
  });

  test('plans are computed once per set of outputs, and frozen', () => {
    const plan = pipeline.plan(['clean']);
    expect(pipeline.plan(['clean'])).toBe(plan);
    expect(Object.isFrozen(plan)).toBe(true);
  });

  test('the final outputs are those no node takes', () => {
    expect(pipeline.finalOutputs).toEqual(
      pipeline.outputs.filter((name) => !pipeline.nodes.some((n) => n.inputs.includes(name))),
    );
    expect(pipeline.finalOutputs.length).toBeGreaterThan(0);
  });

  test('it holds only the ancestors of the requested outputs, in topological order', () => {
    expect(names(pipeline.plan(['clean']))).toEqual(['rows', 'clean']);
    expect(names(pipeline.plan(['rows']))).toEqual(['rows']);
    expect(names(pipeline.plan(['summary', 'clean']))).toEqual(['rows', 'clean', 'scores', 'summary']);
  });

  test('a branch the requested output does not need is left out', () => {
    const a = func({ output: 'a' }, async (seed: number) => seed);
    const b = func({ output: 'b' }, async (a: number) => a);
    const side = func({ output: 'side' }, async (a: number) => a);
    const c = func({ output: 'c' }, async (b: number) => b);
    const branched = new Pipeline([a, side, b, c]);
    expect(names(branched.plan(['c']))).toEqual(['a', 'b', 'c']);
    expect(names(branched.plan(['side', 'a']))).toEqual(['a', 'side']);
  });

  test('an unknown output is a ConfigError listing the known outputs', () => {
    const error = catchError(() => pipeline.plan(['scroes', 'path']));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG');
    expect(error.message).toContain('`scroes`');
    expect(error.message).toContain('`path` (an input, not an output)');
    for (const output of pipeline.outputs) expect(error.message).toContain(`\`${output}\``);
  });
});

describe('missingInputs', () => {
  const pipeline = new Pipeline([load, clean, score, summary, labelled]);

  test('lists every missing input with the nodes that need it', () => {
    expect(pipeline.missingInputs(pipeline.plan(), new Set())).toEqual({
      path: ['rows'],
      threshold: ['clean'],
      title: ['label'],
    });
    expect(pipeline.missingInputs(pipeline.plan(), new Set(['path']))).toEqual({
      threshold: ['clean'],
      title: ['label'],
    });
  });

  test('only the plan counts: inputs of nodes outside it are not missing', () => {
    expect(pipeline.missingInputs(pipeline.plan(['rows']), new Set())).toEqual({ path: ['rows'] });
    expect(pipeline.missingInputs(pipeline.plan(['scores']), new Set(['path', 'threshold']))).toBeUndefined();
  });

  test('an input several nodes take lists each of them once, in plan order', () => {
    const a = func({ output: 'a' }, async (seed: number, salt: string) => seed + salt);
    const b = func({ output: 'b' }, async (a: string, seed: number) => a + seed);
    const twice = func({ output: 'twice', inputs: ['seed', 'seed'] }, async (x: number, y: number) => x + y);
    const fanned = new Pipeline([a, b, twice]);
    expect(fanned.missingInputs(fanned.plan(), new Set(['salt']))).toEqual({ seed: ['a', 'b', 'twice'] });
  });
});

describe('validation', () => {
  test('two nodes with one output are a DuplicateOutputError naming both and the fix', () => {
    const loadCsv = func({ output: 'rows' }, async (path: string) => [path]);
    const error = catchError(() => new Pipeline([load, clean, loadCsv]));
    expect(error).toBeInstanceOf(DuplicateOutputError);
    const duplicate = error as DuplicateOutputError;
    expect(duplicate.code).toBe('DUPLICATE_OUTPUT');
    expect(duplicate.output).toBe('rows');
    expect(duplicate.nodes).toHaveLength(2);
    expect(duplicate.nodes[0]).toMatch(/^load \(packages\/core\/test\/pipeline\.test\.ts:\d+\)$/);
    expect(duplicate.nodes[1]).toMatch(/^loadCsv \(packages\/core\/test\/pipeline\.test\.ts:\d+\)$/);
    expect(duplicate.message).toMatch(
      /Two nodes produce `rows`: `load` \(.*:\d+\) and `loadCsv` \(.*:\d+\)\./,
    );
    expect(duplicate.message).toContain('`output` option');
  });

  test('the same memoized function listed twice is one node, not a duplicate', () => {
    const pipeline = new Pipeline([load, clean, load]);
    expect(pipeline.outputs).toEqual(['rows', 'clean']);
  });

  test('a cycle is a CycleError spelling it a → b → c → a, with the fix', () => {
    const a = func({ output: 'a' }, async (c: number) => c);
    const b = func({ output: 'b' }, async (a: number) => a);
    const c = func({ output: 'c' }, async (b: number, seed: number) => b + seed);
    for (const listed of [
      [a, b, c],
      [c, b, a],
      [b, a, c],
    ]) {
      const error = catchError(() => new Pipeline(listed));
      expect(error).toBeInstanceOf(CycleError);
      const cycle = error as CycleError;
      expect(cycle.code).toBe('CYCLE');
      expect(cycle.cycle).toHaveLength(4);
      expect(cycle.cycle[0]).toBe(cycle.cycle[3]);
      // The same cycle, whichever node it is spelled from.
      expect(`${cycle.cycle.slice(0, 3).join(' → ')} → `.repeat(2)).toContain('a → b → c');
      expect(cycle.message).toContain(cycle.cycle.join(' → '));
      expect(cycle.message).toContain('cannot take its own output');
      expect(cycle.message).toContain('rename an input or an output');
    }
    expect((catchError(() => new Pipeline([a, b, c])) as CycleError).cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  test('a node taking its own output is the cycle a → a', () => {
    const grow = func({ output: 'size' }, async (size: number) => size + 1);
    const error = catchError(() => new Pipeline([load, grow])) as CycleError;
    expect(error).toBeInstanceOf(CycleError);
    expect(error.cycle).toEqual(['size', 'size']);
    expect(error.message).toContain('size → size');
    expect(error.message).toContain('`size` takes its own output');
  });

  test('a cycle beside an acyclic part is still found', () => {
    const x = func({ output: 'x' }, async (y: number) => y);
    const y = func({ output: 'y' }, async (x: number) => x);
    const error = catchError(() => new Pipeline([load, clean, x, score, y])) as CycleError;
    expect(error.cycle).toEqual(['x', 'y', 'x']);
  });

  test('`map` over a name that is not an input is a ConfigError naming the node, the name and its inputs', () => {
    const bad = func(
      { output: 'bad', map: 'clen' },
      async (clean: number, threshold: number) => clean + threshold,
    );
    const error = catchError(() => new Pipeline([load, clean, bad]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('`bad`');
    expect(error.message).toContain('`clen`');
    expect(error.message).toContain('`clean`, `threshold`');
  });

  test('something that is not a memoized function is a ConfigError naming its position and the fix', () => {
    const plain = async (rows: number[]) => rows;
    const error = catchError(() => new Pipeline([load, plain as any]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('node 2 of 2');
    expect(error.message).toContain("func({ output: '…' }, fn)");
    expect(catchError(() => new Pipeline([load, null as any])).message).toContain('node 2 of 2 is null');
  });

  test('a node whose parameters cannot be wired by name fails construction with its ConfigError', () => {
    const rest = func({ output: 'joined' }, async (...parts: string[]) => parts.join(''));
    const error = catchError(() => new Pipeline([load, rest]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('`joined`');
    expect(error.message).toContain('inputs: [...]');
  });

  test('a list that is not an array is a TypeError', () => {
    expect(() => new Pipeline(load as any)).toThrow(TypeError);
  });
});

describe('composition', () => {
  test('a pipeline listed as a node contributes all of its nodes, and pipelines nest', () => {
    const ingest = new Pipeline([load, clean]);
    const scoring = new Pipeline([ingest, score]);
    const full = new Pipeline([summary, scoring, labelled]);
    expect(full.outputs).toEqual(['rows', 'clean', 'scores', 'summary', 'label']);
    expect(full.inputs).toEqual(['path', 'threshold', 'title']);
    expect(full.producer('rows')).toBe(ingest.producer('rows'));
    expect(names(full.plan(['scores']))).toEqual(['rows', 'clean', 'scores']);
    expectTopological(full);
  });

  test('a node shared by two composed pipelines is one node, not a duplicate', () => {
    const left = new Pipeline([load, clean]);
    const right = new Pipeline([load, score]);
    const both = new Pipeline([left, right, load]);
    expect(both.outputs).toEqual(['rows', 'clean', 'scores']);
  });

  test('two different nodes with one output across composed pipelines are a DuplicateOutputError', () => {
    const other = func({ output: 'clean' }, async (rows: number[]) => rows);
    const error = catchError(() => new Pipeline([new Pipeline([load, clean]), new Pipeline([other])]));
    expect(error).toBeInstanceOf(DuplicateOutputError);
    expect((error as DuplicateOutputError).output).toBe('clean');
    expect(error.message).toMatch(/`clean` \(.*\) and `other` \(.*\)/);
  });

  test('composition can close a cycle the parts do not have', () => {
    const a = func({ output: 'a' }, async (b: number) => b);
    const b = func({ output: 'b' }, async (a: number) => a);
    const error = catchError(() => new Pipeline([new Pipeline([a]), new Pipeline([b])]));
    expect((error as CycleError).cycle).toEqual(['a', 'b', 'a']);
  });
});

describe('edges', () => {
  const pipeline = new Pipeline([load, clean, score, summary, labelled]);

  test('all edges by default, each producer-consumer pair once', () => {
    expect(pipeline.edges()).toEqual([
      ['rows', 'clean'],
      ['clean', 'scores'],
      ['scores', 'summary'],
      ['rows', 'summary'],
      ['summary', 'label'],
    ]);
  });

  test('only the edges among the given nodes', () => {
    expect(pipeline.edges(pipeline.plan(['scores']))).toEqual([
      ['rows', 'clean'],
      ['clean', 'scores'],
    ]);
    expect(pipeline.edges([pipeline.producer('rows')!, pipeline.producer('summary')!])).toEqual([
      ['rows', 'summary'],
    ]);
  });
});

describe('drawing', () => {
  const pipeline = new Pipeline([load, clean, score, summary, labelled]);

  test('toMermaid draws inputs as stadiums, nodes as boxes, map nodes as name[], and every edge', () => {
    const mermaid = pipeline.toMermaid();
    const lines = mermaid.trim().split('\n');
    expect(lines[0]).toBe('flowchart LR');
    const ids = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const shape = /^ {2}(\w+)(\(\[|\[)"(.*)"(\]\)|\])$/.exec(line);
      if (shape) ids.set(shape[3]!, `${shape[2] === '([' ? 'input' : 'node'}:${shape[1]}`);
    }
    for (const input of pipeline.inputs) expect(ids.get(input)).toMatch(/^input:/);
    for (const output of ['rows', 'clean', 'summary', 'label']) expect(ids.get(output)).toMatch(/^node:/);
    expect(ids.get('scores[]')).toMatch(/^node:/);
    const idOf = (name: string) => (ids.get(name) ?? ids.get(`${name}[]`))!.split(':')[1];
    const arrows = new Set(lines.filter((line) => line.includes('-->')).map((line) => line.trim()));
    const expected = [...pipeline.edges(), ['path', 'rows'], ['threshold', 'clean'], ['title', 'label']];
    for (const [from, to] of expected) expect(arrows).toContain(`${idOf(from!)} --> ${idOf(to!)}`);
    expect(arrows.size).toBe(expected.length);
  });

  test('toDot draws the same graph with quoted names and inputs shaped apart', () => {
    const dot = pipeline.toDot();
    expect(dot.startsWith('digraph memoflow {\n')).toBe(true);
    expect(dot.trim().endsWith('}')).toBe(true);
    for (const input of pipeline.inputs) expect(dot).toContain(`  "${input}" [shape=ellipse, style=dashed];`);
    for (const output of ['rows', 'clean', 'summary', 'label']) expect(dot).toContain(`  "${output}";`);
    expect(dot).toContain('"scores" [label="scores[]", shape=box3d];');
    for (const [from, to] of pipeline.edges()) expect(dot).toContain(`  "${from}" -> "${to}";`);
    expect(dot).toContain('  "path" -> "rows";');
    expect(dot.match(/->/g)).toHaveLength(pipeline.edges().length + 3);
  });

  test('names with characters Mermaid and DOT treat specially are escaped', () => {
    const odd = func({ output: 'say "hi" <b>#1', inputs: ['a\\b"c'] }, async (x: string) => x);
    const pipeline = new Pipeline([odd]);
    const mermaid = pipeline.toMermaid();
    expect(mermaid).toContain('n0["say #34;hi#34; #60;b#62;#35;1"]');
    expect(mermaid).toContain('i0(["a\\b#34;c"])');
    expect(mermaid).toContain('i0 --> n0');
    const dot = pipeline.toDot();
    expect(dot).toContain('"say \\"hi\\" <b>#1";');
    expect(dot).toContain('"a\\\\b\\"c" -> "say \\"hi\\" <b>#1";');
  });
});

describe('graph algorithms', () => {
  test('topologicalOrder places each node right after its unplaced ancestors', () => {
    // 0 takes 2, 1 takes nothing, 2 takes 1, 3 takes 0 and 1
    expect(topologicalOrder([[2], [], [1], [0, 1]])).toEqual({ order: [1, 2, 0, 3] });
    expect(topologicalOrder([[], [0], [1]])).toEqual({ order: [0, 1, 2] });
  });

  test('topologicalOrder spells a cycle in data-flow order from its lowest-numbered node', () => {
    // 1 takes 3, 2 takes 1, 3 takes 2: 1 → 2 → 3 → 1
    expect(topologicalOrder([[], [3], [1], [2], [0]])).toEqual({ cycle: [1, 2, 3, 1] });
    expect(topologicalOrder([[0]])).toEqual({ cycle: [0, 0] });
  });

  test('ancestors marks the targets and everything they take from, nothing else', () => {
    expect([...ancestors([[], [0], [1], [0], [2, 3]], [2])]).toEqual([1, 1, 1, 0, 0]);
    expect([...ancestors([[], [0], [1], [0], [2, 3]], [4, 3])]).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('large pipelines', () => {
  // One call site for every node: the first nodeInfo() reads this file, the rest reuse it.
  const CHAIN = 60_000;
  const FAN = 40_000;
  const nodes = Array.from({ length: CHAIN + FAN }, (_, i) =>
    i < CHAIN
      ? func({ output: `n${i}`, inputs: [i === 0 ? 'seed' : `n${i - 1}`] }, async (x: number) => x)
      : func({ output: `n${i}`, inputs: ['n0', `n${CHAIN - 1}`] }, async (x: number) => x),
  );

  test('a 100,000-node chain with a fan-out builds without overflowing the stack', () => {
    // Listed consumers-first, the worst case for the walk: the first node reached is the deepest.
    const pipeline = new Pipeline([...nodes].reverse());
    expect(pipeline.nodes).toHaveLength(CHAIN + FAN);
    expect(pipeline.inputs).toEqual(['seed']);
    expect(pipeline.outputs.slice(0, 3)).toEqual(['n0', 'n1', 'n2']);
    expectTopological(pipeline);
    expect(pipeline.plan([`n${CHAIN - 1}`])).toHaveLength(CHAIN);
    expect(pipeline.plan([`n${CHAIN + FAN - 1}`])).toHaveLength(CHAIN + 1);
    expect(pipeline.edges()).toHaveLength(CHAIN - 1 + 2 * FAN);
    expect(pipeline.toMermaid().split('\n').length).toBeGreaterThan(CHAIN + FAN);
  });

  test('a cycle through 60,001 nodes is found and spelled by its ends', () => {
    const closing = func({ output: 'seed' }, async (n59999: number) => n59999);
    const error = catchError(() => new Pipeline([...nodes, closing])) as CycleError;
    expect(error).toBeInstanceOf(CycleError);
    expect(error.cycle).toHaveLength(CHAIN + 2);
    expect(error.cycle.slice(0, 3)).toEqual(['n0', 'n1', 'n2']);
    expect(error.cycle.slice(-3)).toEqual(['n59999', 'seed', 'n0']);
    expect(error.message.length).toBeLessThan(5_000);
    expect(error.message).toContain('n0 → n1 → n2');
    expect(error.message).toContain('more)');
  });
});

function catchError(run: () => unknown): MemoflowError | TypeError {
  try {
    run();
  } catch (error) {
    return error as MemoflowError;
  }
  throw new Error('expected an error');
}
