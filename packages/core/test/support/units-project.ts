/**
 * A small project whose code the tests edit between runs: a helper module (`helpers.ts`, whose
 * factor changes) and a pipeline of four nodes over it and the `fake-units` package.
 */
import { coreEntry } from './processes.ts';

/** `helpers.ts`: one helper, `scale`, multiplying by `factor`. */
export const helpersSource = (factor: number): string =>
  `export function scale(x: number): number {\n  return x * ${factor};\n}\n`;

/** The pipeline module's first lines: imports and the four nodes; `rest` runs it and prints. */
export const unitsPipelineSource = (rest: string): string =>
  `import { DiskCache, func, Pipeline, Runner } from ${JSON.stringify(coreEntry)};
import { toMeters } from 'fake-units';
import { scale } from './helpers.ts';

const lengths = func({ output: 'lengths' }, async (count: number) => Array.from({ length: count }, (_, i) => i + 1));
const scaled = func({ output: 'scaled' }, (lengths: number[]) => lengths.map(scale));
const meters = func({ output: 'meters' }, (lengths: number[]) => lengths.map(toMeters));
const total = func({ output: 'total' }, (scaled: number[], meters: number[]) => scaled.length + meters.length);

${rest}`;
