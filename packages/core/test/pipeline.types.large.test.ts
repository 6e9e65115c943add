/**
 * A 50-node typed pipeline compiles, without blowing up the compiler: the program is generated,
 * checked by the TypeScript compiler API, and its type instantiations counted (a deterministic
 * measure of the type-level work, unlike time). A wiring mistake in it is reported at the node.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, test } from 'vitest';
import { coreEntry, scratchProject } from './support/processes.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const project = scratchProject({});
afterAll(() => project.dispose());

const CHAIN = 25;
const FAN = 25;

/**
 * A chain of 25 nodes (`c0` … `c24`, alternately destructured and positional, each named by
 * `inputs: [...] as const`, every fifth one mapped over an array), a fan-out of 25 (`f0` … `f24`) off `c24`, and a summary of the fan,
 * run with typed inputs and outputs. `mistake` makes `f7` take a string where `c24` gives a number[].
 */
function source(mistake: boolean): string {
  const lines = [`import { func, Pipeline, Runner } from ${JSON.stringify(coreEntry)};`];
  lines.push(
    `const c0 = func({ output: 'c0', inputs: ['seed'] as const }, ({ seed }: { seed: number }) => [seed]);`,
  );
  for (let i = 1; i < CHAIN; i++) {
    const previous = `c${i - 1}`;
    lines.push(
      i % 5 === 0
        ? `const c${i} = func({ output: 'c${i}', map: '${previous}' }, (${previous}: number) => ${previous} + 1);`
        : i % 2 === 0
          ? `const c${i} = func({ output: 'c${i}', inputs: ['${previous}'] as const }, ({ ${previous} }: { ${previous}: number[] }) => ${previous}.map((x) => x + 1));`
          : `const c${i} = func({ output: 'c${i}', inputs: ['${previous}', 'step'] as const }, (xs: number[], step: number) => xs.map((x) => x + step));`,
    );
  }
  const last = `c${CHAIN - 1}`;
  for (let i = 0; i < FAN; i++) {
    const type = mistake && i === 7 ? 'string' : 'number[]';
    lines.push(
      `const f${i} = func({ output: 'f${i}', inputs: ['${last}'] as const }, ({ ${last} }: { ${last}: ${type} }) => ${last}.length + ${i});`,
    );
  }
  const fan = Array.from({ length: FAN }, (_, i) => `f${i}`);
  lines.push(
    `const summary = func({ output: 'summary', inputs: [${fan.map((f) => `'${f}'`).join(', ')}] as const }, ({ ${fan.join(', ')} }: { ${fan.map((f) => `${f}: number`).join('; ')} }) => ${fan.join(' + ')});`,
    `const pipeline = new Pipeline([${[...Array.from({ length: CHAIN }, (_, i) => `c${i}`), ...fan, 'summary'].join(', ')}]);`,
    'export async function main(): Promise<number> {',
    `  const { outputs } = await new Runner().run(pipeline, { seed: 1, step: 2 });`,
    `  const some = await new Runner().run(pipeline, { seed: 1, step: 2 }, { outputs: ['${last}', 'f3'] });`,
    `  const f3: number = some.outputs.f3;`,
    `  const chained: number[] = some.outputs.${last};`,
    `  return outputs.summary + f3 + chained.length;`,
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/** The generated program checked with the repository's compiler options: its errors and instantiation count. */
function check(mistake: boolean): { errors: string[]; instantiations: number } {
  const file = join(project.dir, mistake ? 'mistake.ts' : 'pipeline.ts');
  project.write(mistake ? 'mistake.ts' : 'pipeline.ts', source(mistake));
  const config = ts.parseJsonConfigFileContent(
    JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')),
    ts.sys,
    root,
  );
  // The program imports memoflow by its absolute source path, which emit would not rewrite: it is never emitted.
  const options = {
    ...config.options,
    noEmit: true,
    rewriteRelativeImportExtensions: false,
    typeRoots: [join(root, 'node_modules/@types')],
  };
  const program = ts.createProgram([file], options);
  const errors = ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) =>
        `${d.file ? `${d.file.fileName.replace(`${dirname(file)}/`, '')}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
  return { errors, instantiations: program.getInstantiationCount() };
}

test('a 50-node typed pipeline type-checks, with its run typed, in bounded type work', () => {
  const { errors, instantiations } = check(false);
  expect(errors).toEqual([]);
  // The whole program, memoflow's own source included, takes about 94,000 (25,000 of them without
  // the pipeline). Finding the nodes a run needs by re-reading every name at each step, not only
  // the ones found in the step before, took it to 320,000.
  expect(instantiations).toBeLessThan(200_000);
}, 120_000);

test('a wiring mistake in a 50-node pipeline is one error, naming the node and its input', () => {
  const { errors } = check(true);
  expect(errors).toEqual([expect.any(String)]);
  expect(errors[0]).toMatch(/^mistake\.ts: /);
  expect(errors[0]).toContain('Input `c24` of node `f7` does not accept the type node `c24` returns');
}, 120_000);
