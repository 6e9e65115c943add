/** Runs every benchmark in this folder, one after another, printing Markdown tables. */
import { readdirSync } from 'node:fs';

const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const only = process.argv.slice(2);
for (const file of files) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  await import(`./${file}`);
}
