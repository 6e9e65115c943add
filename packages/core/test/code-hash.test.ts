import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { coreEntry, scratchProject } from './support/processes.ts';

/**
 * Each case edits real files of a scratch project and computes the signature in a fresh Node
 * process under tsx, the way users run TypeScript: nothing is cached between the runs but the files.
 */

const core = JSON.stringify(coreEntry);

const files = {
  'deep.ts': `export const inner = (x: number): number => x + 1;\n`,
  'helpers.ts': `import { inner } from './deep.ts';\nexport function scale(x: number): number {\n  return inner(x) * 2;\n}\nexport function other(x: number) { return x; }\n`,
  'work.ts': `import { func } from ${core};
import { scale } from './helpers.ts';

type Point = { x: number };
const OFFSET = 10;

function double(n: number) {
  return n * 2;
}

function unrelated(a: number) {
  return a - 1;
}

export const compute = func({}, async (x: number): Promise<number> => double(scale(x)) + OFFSET);

console.log(JSON.stringify(await compute.signature(3)));
`,
};

let project: ReturnType<typeof scratchProject>;
let baseline: any;

async function codeHashAfter(edits: Record<string, (text: string) => string>, entry = 'work.ts') {
  const variant = project.copy();
  try {
    for (const [path, edit] of Object.entries(edits)) {
      const original = (files as Record<string, string>)[path] ?? '';
      const edited = edit(original);
      expect(edited, `the edit of ${path} changed nothing`).not.toBe(original);
      variant.write(path, edited);
    }
    const [signature] = await variant.runJson(entry);
    return signature.codeHash as string;
  } finally {
    variant.dispose();
  }
}

beforeAll(async () => {
  project = scratchProject(files);
  [baseline] = await project.runJson('work.ts');
});
afterAll(() => project.dispose());

describe('code hash: what does not count', () => {
  test('reformatting and comments keep the hash', async () => {
    const hash = await codeHashAfter({
      'work.ts': (text) =>
        text
          .replace(
            'export const compute = func({}, async (x: number): Promise<number> => double(scale(x)) + OFFSET);',
            '/** Doubles and scales. */\nexport const compute = func(\n  {},\n  async (x: number): Promise<number> =>\n    // the heart of it\n    double(scale(x)) +\n    OFFSET,\n);',
          )
          .replace('return n * 2;', 'return n*2 // twice\n  ;'),
    });
    expect(hash).toBe(baseline.codeHash);
  });

  test('changing type annotations only keeps the hash', async () => {
    const hash = await codeHashAfter({
      'work.ts': (text) =>
        text
          .replace('async (x: number): Promise<number> =>', 'async (x: Point["x"]) =>')
          .replace('function double(n: number) {', 'function double<T extends number>(n: T): number {'),
      'helpers.ts': (text) => text.replace('scale(x: number): number', 'scale(x: any)'),
    });
    expect(hash).toBe(baseline.codeHash);
  });

  test('editing an unrelated function in the same file keeps the hash', async () => {
    const hash = await codeHashAfter({ 'work.ts': (text) => text.replace('return a - 1;', 'return a - 2;') });
    expect(hash).toBe(baseline.codeHash);
  });

  test('editing an unrelated export of an imported module keeps the hash', async () => {
    const hash = await codeHashAfter({ 'helpers.ts': (text) => text.replace('return x; }', 'return -x; }') });
    expect(hash).toBe(baseline.codeHash);
  });

  test('beyond dependencyDepth, edits are not seen', async () => {
    const shallow = (text: string) => text.replace('func({},', 'func({ dependencyDepth: 1 },');
    const before = await codeHashAfter({ 'work.ts': shallow });
    const after = await codeHashAfter({
      'work.ts': shallow,
      'deep.ts': (text) => text.replace('x + 1', 'x + 2'),
    });
    expect(after).toBe(before);
  });
});

describe('code hash: what counts', () => {
  test('editing the body changes the hash', async () => {
    const hash = await codeHashAfter({ 'work.ts': (text) => text.replace('+ OFFSET);', '- OFFSET);') });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('editing a helper it calls in the same module changes the hash', async () => {
    const hash = await codeHashAfter({ 'work.ts': (text) => text.replace('return n * 2;', 'return n * 3;') });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('editing a module-level constant it reads changes the hash', async () => {
    const hash = await codeHashAfter({
      'work.ts': (text) => text.replace('const OFFSET = 10;', 'const OFFSET = 11;'),
    });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('editing a helper one relative import away changes the hash', async () => {
    const hash = await codeHashAfter({
      'helpers.ts': (text) => text.replace('inner(x) * 2', 'inner(x) * 4'),
    });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('editing a helper two relative imports away changes the hash at the default depth', async () => {
    const hash = await codeHashAfter({ 'deep.ts': (text) => text.replace('x + 1', 'x + 2') });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('`version` folds into the hash', async () => {
    const hash = await codeHashAfter({
      'work.ts': (text) => text.replace('func({},', "func({ version: 'v2' },"),
    });
    expect(hash).not.toBe(baseline.codeHash);
  });

  test('`deps` functions count: editing one changes the hash', async () => {
    const withDep = (body: string) => (text: string) =>
      text
        .replace('func({},', 'func({ deps: [lookupTable] },')
        .replace('type Point', `function lookupTable() { return ${body}; }\ntype Point`);
    const before = await codeHashAfter({ 'work.ts': withDep('[1, 2]') });
    const after = await codeHashAfter({ 'work.ts': withDep('[1, 3]') });
    expect(before).not.toBe(baseline.codeHash);
    expect(after).not.toBe(before);
  });

  test('the hash names each piece of code, portably', () => {
    expect(Object.keys(baseline.codeParts).sort()).toEqual([
      '<self>',
      'OFFSET',
      'deep#inner',
      'double',
      'helpers#scale',
    ]);
    expect(JSON.stringify(baseline)).not.toContain(project.dir);
  });
});

describe('code hash: where functions come from', () => {
  test('functions defined in another module (.mjs, .js) than the func() call are hashed from their own module', async () => {
    const lib = (rate: number) =>
      `const RATE = ${rate};\nexport async function price(n) {\n  return n * RATE;\n}\n`;
    const util = (unit: string) =>
      `function unit() { return '${unit}'; }\nexport function label(n) {\n  return n + unit();\n}\n`;
    const other = scratchProject({
      'lib.mjs': lib(3),
      'util.js': util('kg'),
      'main.ts': `import { func } from ${core};
import { price } from './lib.mjs';
import { label } from './util.js';
const priced = func({}, price);
const labelled = func({}, label);
console.log(JSON.stringify(await priced.signature(2)));
console.log(JSON.stringify(await labelled.signature(2)));
`,
    });
    try {
      const [price, label] = await other.runJson('main.ts');
      expect(Object.keys(price.codeParts).sort()).toEqual(['<self>', 'RATE']);
      expect(Object.keys(label.codeParts).sort()).toEqual(['<self>', 'unit']);
      other.write('lib.mjs', lib(4));
      other.write('util.js', util('lb'));
      const [priceAfter, labelAfter] = await other.runJson('main.ts');
      expect(priceAfter.codeHash).not.toBe(price.codeHash);
      expect(labelAfter.codeHash).not.toBe(label.codeHash);
    } finally {
      other.dispose();
    }
  });

  test('a decorated class method is hashed from its source; `this` counts when the method reads it', async () => {
    const source = (factor: number) => `import { func } from ${core};
class Model {
  constructor(public scale: number) {}
  @func({ output: 'trained' })
  train(data: number[]): number {
    return data.length * this.scale * ${factor};
  }
  other() { return 1; }
}
const proto = Model.prototype as any;
console.log(JSON.stringify(await proto.train.signature.call(new Model(2), [1, 2])));
console.log(JSON.stringify(await proto.train.signature.call(new Model(3), [1, 2])));
`;
    const other = scratchProject({ 'model.ts': source(1) });
    try {
      const [two, three] = await other.runJson('model.ts');
      expect(two.node).toBe('trained');
      expect(two.codeHash).toBe(three.codeHash);
      expect(two.inputsHash).not.toBe(three.inputsHash);
      other.write('model.ts', source(5));
      const [edited] = await other.runJson('model.ts');
      expect(edited.codeHash).not.toBe(two.codeHash);
    } finally {
      other.dispose();
    }
  });

  test('under tsx, toString() is not the source text, and the hash still ignores types and formatting', async () => {
    const typed = `import { func } from ${core};
const f = func({}, async (
  x: number, // the input
): Promise<number> => (x as number) * 2);
console.log(JSON.stringify({ text: f.original.toString(), ...(await f.signature(1)) }));
`;
    const plain = `import { func } from ${core};\nconst f = func({}, async (x) => x * 2);\nconsole.log(JSON.stringify({ text: f.original.toString(), ...(await f.signature(1)) }));\n`;
    const other = scratchProject({ 'typed.ts': typed, 'plain.mjs': plain });
    try {
      const [fromTs] = await other.runJson('typed.ts');
      const [fromJs] = await other.runJson('plain.mjs');
      expect(fromTs.text).not.toContain('Promise<number>');
      expect(fromTs.codeHash).toBe(fromJs.codeHash);
    } finally {
      other.dispose();
    }
  });
});

describe('parsing is lazy', () => {
  test('defining 1,000 memoized functions parses nothing; the first signature parses their module once', async () => {
    const astEntry = JSON.stringify(coreEntry.replace(/index\.ts$/, 'signature/code/ast.ts'));
    const definitions = Array.from(
      { length: 1000 },
      (_, i) => `export const f${i} = func({}, async (x: number) => x + ${i});`,
    );
    const other = scratchProject({
      'many.ts': `import { func } from ${core};\n${definitions.join('\n')}\n`,
      'main.ts': `import { parseStats } from ${astEntry};
import * as many from './many.ts';
const defined = parseStats.modules;
await many.f0.signature(1);
const afterOne = parseStats.modules;
await Promise.all(Object.values(many).map((f) => f.signature(1)));
console.log(JSON.stringify({ defined, afterOne, afterAll: parseStats.modules }));
`,
    });
    try {
      const [stats] = await other.runJson('main.ts');
      expect(stats).toEqual({ defined: 0, afterOne: 1, afterAll: 1 });
    } finally {
      other.dispose();
    }
  });
});

describe('keys are portable', () => {
  test('the same function, inputs and environment give the same key in another process and another directory', async () => {
    const [again] = await project.runJson('work.ts');
    const moved = project.copy();
    try {
      const [elsewhere] = await moved.runJson('work.ts');
      expect(again.key).toBe(baseline.key);
      expect(elsewhere.key).toBe(baseline.key);
      expect(elsewhere.codeHash).toBe(baseline.codeHash);
      expect(JSON.stringify(elsewhere)).not.toContain(moved.dir);
    } finally {
      moved.dispose();
    }
  });
});

describe('the analysis kept between processes', () => {
  test('a second process reuses the analysis on disk and parses no module; an edited helper is analysed again', async () => {
    const astEntry = JSON.stringify(coreEntry.replace(/index\.ts$/, 'signature/code/parse.ts'));
    const other = scratchProject({
      'helpers.ts': 'export const scale = (x: number) => x * 2;\n',
      'main.ts': `import { func } from ${core};
import { parseStats } from ${astEntry};
import { scale } from './helpers.ts';
const scaled = func({}, async (x: number) => scale(x));
const { key } = await scaled.signature(1);
console.log(JSON.stringify({ key, parsed: parseStats.modules }));
`,
    });
    try {
      const [first] = await other.runJson('main.ts');
      const [second] = await other.runJson('main.ts');
      expect(first.parsed).toBeGreaterThan(0);
      expect(second).toEqual({ key: first.key, parsed: 0 });
      other.write('helpers.ts', 'export const scale = (x: number) => x * 3;\n');
      const [edited] = await other.runJson('main.ts');
      expect(edited.parsed).toBeGreaterThan(0);
      expect(edited.key).not.toBe(first.key);
    } finally {
      other.dispose();
    }
  });
});
