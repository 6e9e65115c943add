/**
 * One measurement of the signature benchmark in a fresh process, printed as one JSON line.
 *
 * `signature <module>`: ms of the first `await top.signature(1)` of the module, nothing before it,
 * and how many pieces of code the signature lists.
 * `parse <parser> <file> [warmRuns]`: ms to read the file, to import the parser, of its first
 * parse of the file, and the median ms of `warmRuns` more parses in this process.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { median } from './_harness.ts';

type Parse = (source: string, file: string) => unknown | Promise<unknown>;

/** Each parser as the engine would call it: TypeScript source in, an ESTree-like JS object out. */
const parsers: Record<string, () => Promise<Parse>> = {
  async 'acorn-typescript'() {
    const [{ Parser }, { tsPlugin }] = await Promise.all([
      import('acorn'),
      import('@sveltejs/acorn-typescript'),
    ]);
    const tsParser = Parser.extend(tsPlugin() as any);
    return (source) =>
      tsParser.parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  },
  async 'esbuild-acorn'() {
    const [{ Parser }, { transform }] = await Promise.all([import('acorn'), import('esbuild')]);
    return async (source) => {
      const { code } = await transform(source, { loader: 'ts', format: 'esm' });
      return Parser.parse(code, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
    };
  },
  async swc() {
    const { parseSync } = await import('@swc/core');
    return (source) => parseSync(source, { syntax: 'typescript', target: 'es2022' });
  },
  async oxc() {
    const { parseSync } = await import('oxc-parser');
    // The AST is deserialized when `program` is first read; reading it is part of the cost.
    return (source, file) => parseSync(file, source).program;
  },
};

async function timed(run: () => unknown): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const [mode, target, file, warmRunsText] = process.argv.slice(2);
if (mode === 'signature') {
  const { top } = await import(pathToFileURL(target!).href);
  let signature: { codeParts?: Record<string, string> } = {};
  const firstMs = await timed(async () => {
    signature = await top.signature(1);
  });
  // How many pieces of code the signature counted: a fast signature that saw less is no win.
  console.log(JSON.stringify({ firstMs, codeParts: Object.keys(signature.codeParts ?? {}).length }));
} else if (mode === 'parse') {
  let source = '';
  const readMs = await timed(() => {
    source = readFileSync(file!, 'utf8');
  });
  let parse!: Parse;
  const load = parsers[target!];
  if (!load)
    throw new TypeError(`Unknown parser \`${target}\`: use one of ${Object.keys(parsers).join(', ')}.`);
  const importMs = await timed(async () => {
    parse = await load();
  });
  const coldMs = await timed(() => parse(source, file!));
  const warm: number[] = [];
  for (let run = 0; run < Number(warmRunsText ?? 0); run++)
    warm.push(await timed(() => parse(source, file!)));
  console.log(JSON.stringify({ readMs, importMs, coldMs, warmMs: warm.length ? median(warm) : undefined }));
} else
  throw new TypeError(`Unknown mode \`${mode}\`: use \`signature <module>\` or \`parse <parser> <file>\`.`);
