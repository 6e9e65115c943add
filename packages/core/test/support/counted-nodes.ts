/**
 * Nodes that count how often they really ran, for the Runner's tests: `rows` → `clean` → `total`,
 * and `unrelated`, all in `basic`. The counts are module-level, so node functions may read them.
 */
import { func, Pipeline } from '../../src/index.ts';

/** How often each node ran since the last `forgetRuns()`. */
export const runs: Record<string, number> = {};

export function ran(name: string): void {
  runs[name] = (runs[name] ?? 0) + 1;
}

export const count = (name: string): number => runs[name] ?? 0;

export function forgetRuns(): void {
  for (const name of Object.keys(runs)) delete runs[name];
}

export const rows = func({ output: 'rows' }, async (size: number) => {
  ran('rows');
  return Array.from({ length: size }, (_, i) => i);
});
export const clean = func({ output: 'clean' }, (rows: number[], threshold: number) => {
  ran('clean');
  return rows.filter((row) => row >= threshold);
});
export const total = func({ output: 'total' }, (clean: number[]) => {
  ran('total');
  return clean.reduce((sum, value) => sum + value, 0);
});
export const unrelated = func({ output: 'unrelated' }, async (size: number) => {
  ran('unrelated');
  return size * 2;
});
export const basic = new Pipeline([rows, clean, total, unrelated]);
