import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import { type AstNode, forEachChild, loadModule, parseSource } from '../../src/signature/code/ast.ts';
import { normalize } from '../../src/signature/code/normalize.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// esbuild is what tsx strips types with; take the copy tsx itself loads.
const esbuild = createRequire(createRequire(`${root}package.json`).resolve('tsx/package.json'))(
  'esbuild',
) as { transformSync(code: string, options: object): { code: string } };

const directory = mkdtempSync(join(tmpdir(), 'memoflow-normalize-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A realistic module that uses every kind of erasable TypeScript. */
const MODULE = `import type { Stats } from 'node:fs';
import { readFileSync, type PathLike } from 'node:fs';
import * as path from 'node:path';

export type Unit = 'kg' | 'lb';
export interface Measurement<T extends number = number> {
  readonly value: T;
  unit: Unit;
  note?: string;
}
declare const BUILD_ID: string | undefined;
declare global {
  interface Window { measurements: Measurement[] }
}

export const FACTORS: Readonly<Record<Unit, number>> = { kg: 1.0, lb: 0.453_592_37 };
const DEFAULT_UNIT = 'kg' satisfies Unit;

export function convert(m: Measurement, to: Unit = DEFAULT_UNIT): Measurement {
  const inKg = m.value * FACTORS[m.unit]!;
  return { value: inKg / FACTORS[to], unit: to, note: m.note };
}

export function convert2(value: number, unit: 'kg'): number;
export function convert2(value: number, unit: 'lb'): number;
export function convert2(value: number, unit: Unit): number {
  return value * (FACTORS[unit] as number);
}

function parseLine<T extends string>(line: T, fallback?: Unit): Measurement | undefined {
  const [raw, unit] = line.trim().split(/\\s+/) as [string, Unit?];
  const value = Number.parseFloat(raw!);
  if (Number.isNaN(value)) return undefined;
  return { value, unit: unit ?? fallback ?? DEFAULT_UNIT };
}

export abstract class Store<K extends string, V> implements Iterable<[K, V]> {
  protected readonly entries = new Map<K, V>();
  private static instances = 0;
  declare readonly kind: string;
  public label?: string;
  count!: number;
  #secret = 'hidden';

  constructor(label: string) {
    this.label = label;
    Store.instances++;
  }

  abstract describe(): string;

  public get size(): number {
    return this.entries.size;
  }

  set(key: K, value: V): this {
    this.entries.set(key, value);
    return this;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)!;
  }

  protected secret(this: Store<K, V>): string {
    return this.#secret;
  }

  *[Symbol.iterator](): Iterator<[K, V]> {
    yield* this.entries;
  }

  static {
    Store.instances = 0;
  }
}

export class MeasurementStore extends Store<string, Measurement> {
  override describe(): string {
    const total = [...this].reduce<number>((sum, [, m]) => sum + convert(m).value, 0);
    return \`\${this.label ?? 'store'}: \${total.toFixed(2)} kg\`;
  }

  load(file: PathLike, stats?: Stats): number {
    const text = readFileSync(file, 'utf8') as string;
    let loaded = 0;
    for (const [index, line] of text.split('\\n').entries()) {
      const measurement = parseLine(line);
      if (!measurement) continue;
      this.set(\`\${path.basename(String(file))}#\${index}\`, measurement);
      loaded += 1;
    }
    return stats ? Math.min(loaded, stats.size) : loaded;
  }
}

export const summarize = async <T extends Measurement>(items: readonly T[]): Promise<string> => {
  const byUnit = new Map<Unit, T[]>();
  for (const item of items) {
    const list = byUnit.get(item.unit) ?? [];
    list.push(item);
    byUnit.set(item.unit, list);
  }
  const parts: string[] = [];
  for (const [unit, list] of byUnit) {
    parts.push(\`\${unit}=\${list.length}\`);
  }
  await Promise.resolve();
  return parts.join(', ') || (BUILD_ID as unknown as string) || 'empty';
};

export function heaviest(items: Measurement[]): Measurement | null {
  let best: Measurement | null = null;
  for (let i = 0; i < items.length; i++) {
    const current = convert(items[i]!);
    if (best === null || current.value > best.value) best = current;
  }
  return best;
}

export function describeAll(stores: Array<Store<string, unknown>>): string[] {
  return stores.map((store) => store.describe()).filter(Boolean);
}

export const tag = (strings: TemplateStringsArray, ...values: unknown[]): string =>
  String.raw({ raw: strings }, ...values);

export default function main(args: string[] = process.argv.slice(2)): void {
  const store = new MeasurementStore('cli');
  for (const file of args) store.load(file);
  const label = <string>store.label;
  const instantiate = Array.of<number>;
  console.log(label, store.describe(), instantiate(1, 2), tag\`a\\tb\`, 0x10n, 1e3);
}
`;

function moduleText(source: string, file: string): string {
  const path = join(directory, file);
  writeFileSync(path, source);
  return normalize(loadModule(path)!.program);
}

function functionTexts(program: AstNode): string[] {
  const texts: string[] = [];
  const visit = (node: AstNode): void => {
    if (/Function|Class/.test(node.type)) texts.push(normalize(node));
    forEachChild(node, visit);
  };
  visit(program);
  return texts;
}

describe('the normalized tree is the JavaScript that runs', () => {
  test('a .ts module and the same module compiled by tsc (ES2022, nodenext) normalize the same', () => {
    expect(MODULE.split('\n').length).toBeGreaterThan(130);
    const compiled = ts.transpileModule(MODULE, {
      fileName: 'measure.mts',
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext },
    }).outputText;
    expect(compiled).not.toContain('interface');
    expect(moduleText(compiled, 'measure-tsc.js')).toBe(moduleText(MODULE, 'measure.ts'));
  });

  // esbuild moves `export` keywords into one `export { … }` list, so its module differs in shape;
  // every function and class in it is the same.
  test('every function of a .ts module normalizes like the one esbuild strips, as tsx runs it', () => {
    const stripped = esbuild.transformSync(MODULE, {
      loader: 'ts',
      format: 'esm',
      target: 'es2022',
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    }).code;
    expect(stripped).toContain('void 0');
    const fromTs = functionTexts(parseSource(MODULE, 'measure.ts'));
    expect(fromTs.length).toBeGreaterThan(20);
    expect(functionTexts(parseSource(stripped, 'measure.mjs'))).toEqual(fromTs);
  });

  test('every function of the .ts module normalizes like its compiled counterpart', () => {
    const compiled = ts.transpileModule(MODULE, {
      fileName: 'measure.mts',
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext },
    }).outputText;
    const fromTs = functionTexts(parseSource(MODULE, 'measure.ts'));
    expect(fromTs.length).toBeGreaterThan(20);
    expect(functionTexts(parseSource(compiled, 'measure.js'))).toEqual(fromTs);
  });

  test('non-erasable TypeScript (enums, namespaces, parameter properties) normalizes deterministically', () => {
    const source = `enum Color { Red = 1, Green = Red * 2 }
namespace Geometry { export const unit = 1; }
class Point { constructor(private readonly x: number, public y = 0) {} }
export const all = [Color.Green, Geometry.unit, new Point(1)];`;
    const first = normalize(parseSource(source, 'a.ts'));
    expect(normalize(parseSource(source, 'b.ts'))).toBe(first);
    expect(normalize(parseSource(source.replace('Red * 2', 'Red * 3'), 'c.ts'))).not.toBe(first);
    expect(normalize(parseSource(source.replace('private readonly x', 'x'), 'd.ts'))).not.toBe(first);
  });
});

describe('what does not count, and what does', () => {
  const base = `export function f(a, b = 'x') {\n  const n = 1.0; // one\n  return a + b + n + \`t\${a}\`;\n}\n`;
  const text = (source: string, file = 'f.js') => normalize(parseSource(source, file));

  test.each([
    ['formatting', base.replace('  const n = 1.0;', 'const   n=1.0\n;')],
    ['comments', base.replace('// one', '/* uno */')],
    ['quote style', base.replace(`'x'`, '"x"')],
    ['number spelling', base.replace('1.0', '1')],
    ['parentheses', base.replace('a + b + n', '((a + b) + n)')],
    ['type annotations', base.replace('(a, b', '(a: number, b: string').replace('.js', '.ts')],
  ])('%s keeps the text', (_, edited) => {
    expect(text(edited, edited.includes(': number') ? 'f.ts' : 'f.js')).toBe(text(base));
  });

  test.each([
    ['an operator', base.replace('a + b', 'a - b')],
    ['a literal', base.replace(`'x'`, `'y'`)],
    ['a name', base.replace('+ n', '+ a')],
    ['grouping', base.replace('a + b + n', 'a + (b + n)')],
    ['a template', base.replace('`t', '`u')],
    ['optional chaining', base.replace('return a +', 'return a?.b +')],
    ['const to let', base.replace('const n', 'let n')],
  ])('changing %s changes the text', (_, edited) => {
    expect(edited).not.toBe(base);
    expect(text(edited)).not.toBe(text(base));
  });
});

describe('parsing', () => {
  test('positions are UTF-16 offsets, as JavaScript strings index them', () => {
    const source = `const label = 'größe 📏 ✓';\nexport function measured() { return label; }\n`;
    const program = parseSource(source, 'unicode.ts');
    const declaration = program.body[1].declaration;
    expect(source.slice(declaration.start, declaration.end)).toBe('function measured() { return label; }');
  });

  test('a syntax error names the file, line and column', () => {
    expect(() => parseSource('const ok = 1;\nconst broken = ;\n', 'src/broken.ts')).toThrow(
      /src\/broken\.ts:2:16/,
    );
    expect(() => parseSource('const ok = 1;\nconst broken = ;\n', 'src/broken.ts')).toThrow(SyntaxError);
  });

  test('an unparsable or missing file loads as undefined; CommonJS with a top-level return parses', () => {
    const broken = join(directory, 'broken.js');
    writeFileSync(broken, 'function (');
    expect(loadModule(broken)).toBeUndefined();
    expect(loadModule(join(directory, 'missing.js'))).toBeUndefined();
    const script = join(directory, 'script.cjs');
    writeFileSync(script, 'if (module.parent) return;\nwith (Math) max(1, 2);\n');
    expect(loadModule(script)?.program.body).toHaveLength(2);
    expect(readFileSync(script, 'utf8')).toContain('return');
  });

  test('JavaScript gets the TypeScript tree shape, so both give the same key lists', () => {
    const js = parseSource('function f(a) { return a; }', 'f.js');
    const typescript = parseSource('function f(a) { return a; }', 'f.ts');
    expect(Object.keys(js.body[0].params[0])).toEqual(Object.keys(typescript.body[0].params[0]));
  });
});
