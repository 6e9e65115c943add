/**
 * The module the signature benchmark measures: a generated TypeScript file of about 5,000 lines
 * with 200 chained helpers (each calls the one before) and a memoized `top` that calls the last,
 * in a scratch project that imports `@memoflow/core` from this repository by its package name.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How many helpers the generated module chains together. */
export const HELPER_COUNT = 200;

const corePackage = fileURLToPath(new URL('../packages/core', import.meta.url));

// Loops (`i < 3`), comparisons (`w < min`), generics and annotations on purpose: a TypeScript
// parser has to decide at each `<` whether type arguments follow.
function helperSource(index: number): string {
  const previous = index === 0 ? '' : `helper${index - 1}(n + 1)`;
  return `interface Sample${index}<W extends number = number> {
  id: number;
  label: string;
  weights: readonly W[];
  tags?: Map<string, Set<number>>;
}

type Pair${index} = [weight: number, label: string];
/** Step ${index} of the chain: weighs a sample and folds in the step before. */
export function helper${index}<T extends number>(n: T, scale: number = ${(index % 7) + 2}): number {
  const sample: Sample${index} = { id: n, label: \`s\${n}\`, weights: [n, n + 1, n + ${index % 5}] };
  let total = 0;
  for (let i = 0; i < 3; i++) {
    const weight = sample.weights[i] ?? 0;
    if (weight < scale * ${index + 1}) total += weight * scale;
    else total -= i;
  }
  const pairs: Pair${index}[] = sample.weights.map((w, j): Pair${index} => [w, \`\${sample.label}-\${j}\`]);
  const lowest = pairs.reduce<number>((min, [w]) => (w < min ? w : min), Number.POSITIVE_INFINITY);
  const byLabel = new Map<string, number>(pairs.map(([w, label]) => [label, w] as const));
  const ratio = (total as number) / Math.max(1, lowest, byLabel.size);
  ${previous ? `const next = n < ${10_000 - index} ? ${previous} : 0;` : 'const next = 0;'}
  return ratio < 1 ? next + total : next - (ratio > ${index + 10} ? 1 : 0);
}
`;
}

/** The whole module's source: the helpers, then `top`, a memoized function calling the last helper. */
export function generateModule(helperCount = HELPER_COUNT): string {
  const parts = [`import { func } from '@memoflow/core';\n`];
  for (let index = 0; index < helperCount; index++) parts.push(helperSource(index));
  parts.push(
    `/** The memoized entry point whose signature is measured. */
export const top = func({}, async (n: number): Promise<number> => helper${helperCount - 1}(n));
`,
  );
  return parts.join('\n');
}

/** A scratch project holding the generated module; `dispose()` removes it. */
export interface SignatureProject {
  dir: string;
  /** Absolute path of the generated module, which exports `top`. */
  moduleFile: string;
  /** Removes every cache the project's processes may have written, so the next process starts cold. */
  clearCaches(): void;
  dispose(): void;
}

/** Writes the generated module into a fresh scratch project linked to this repository's core package. */
export function createSignatureProject(): SignatureProject {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-signature-bench-'));
  mkdirSync(join(dir, 'node_modules', '@memoflow'), { recursive: true });
  symlinkSync(corePackage, join(dir, 'node_modules', '@memoflow', 'core'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'signature-bench', type: 'module' }));
  const moduleFile = join(dir, 'module.ts');
  writeFileSync(moduleFile, generateModule());
  return {
    dir,
    moduleFile,
    clearCaches() {
      for (const cache of ['.memoflow', 'node_modules/.cache'])
        rmSync(join(dir, cache), { recursive: true, force: true });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
