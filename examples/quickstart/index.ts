/**
 * memoflow quickstart: a three-node pipeline, cached on disk.
 *
 *     path ──▶ text ──▶ words ──▶ stats
 *
 * Nodes are wired by name: `words` takes a parameter called `text`, so it gets the output of the
 * node named `text`. Run this twice: the first run computes every node; the second is served from
 * `.memoflow/` (or `$MEMOFLOW_CACHE_DIR`) by a new process. Then edit `stats` and run again: only
 * `stats` recomputes, because only its code changed, and the report says so.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiskCache, func, Pipeline, Runner } from '@memoflow/core';

/** Keyed by the file's contents, not its path: edit poem.txt and everything after it recomputes. */
const text = func({ output: 'text', key: (path: string) => readFileSync(path, 'utf8') }, (path: string) =>
  readFileSync(path, 'utf8'),
);

/** Pretend this is expensive: a tokenizer, a model call, a big query. */
const words = func({ output: 'words' }, async (text: string) => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
});

const stats = func({ output: 'stats' }, (words: string[]) => {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  const top = [...counts].sort(([a, m], [b, n]) => n - m || a.localeCompare(b)).slice(0, 3);
  return { words: words.length, distinct: counts.size, top: top.map(([word, n]) => `${word} ×${n}`) };
});

const pipeline = new Pipeline([text, words, stats]);
const runner = new Runner({ cache: { backend: new DiskCache() } });
const path = fileURLToPath(new URL('poem.txt', import.meta.url));
const { outputs, report } = await runner.run(pipeline, { path });

const { words: count, distinct, top } = outputs.stats as Awaited<ReturnType<typeof stats>>;
console.log(`poem.txt: ${count} words, ${distinct} distinct; most used: ${top.join(', ')}\n`);
console.log(report.toText());
console.log(
  report.nodes.every((node) => node.status === 'hit')
    ? '\nEdit the `stats` function in index.ts and run again: only `stats` recomputes, and the report says why.'
    : '\nRun it again: every node is a hit.',
);
