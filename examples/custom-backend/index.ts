/**
 * The custom backend under a real pipeline. Run it twice: the first run computes every node and
 * appends the results to `cache.jsonl` (or `$CACHE_FILE`); the second, a new process, replays the
 * file and is served every node from it.
 *
 *     text ──▶ words ──▶ lengths ──▶ longest
 */
import { func, Pipeline, Runner } from '@memoflow/core';
import { JsonLinesCache } from './json-lines-cache.ts';

const words = func({ output: 'words' }, (text: string) => text.split(/\s+/).filter(Boolean));
const lengths = func({ output: 'lengths' }, (words: string[]) => words.map((word) => word.length));
const longest = func(
  { output: 'longest' },
  (words: string[], lengths: number[]) => words[lengths.indexOf(Math.max(...lengths))],
);

const cache = new JsonLinesCache({ file: process.env.CACHE_FILE ?? 'cache.jsonl' });
const runner = new Runner({ cache: { backend: cache } });
const { outputs, report } = await runner.run(new Pipeline([words, lengths, longest]), {
  text: 'write your own cache backend in about a hundred lines',
});
console.log(`longest word: ${outputs.longest}`);
console.log(report.nodes.map((node) => `${node.node}: ${node.status}`).join(', '));
await cache.close();
