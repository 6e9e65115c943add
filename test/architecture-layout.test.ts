/**
 * docs/architecture.md's Layout section is where a newcomer looks for a file: every source file
 * and folder of every package must be named there, so the map cannot fall behind the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const architecture = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
const layout = /## Layout\n([\s\S]*?)\n## /.exec(architecture)?.[1] ?? '';

/** Every file and folder under `dir`, as paths relative to `base`. */
function walk(dir: string, base: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const name = relative(base, path);
    return entry.isDirectory() ? [`${name}/`, ...walk(path, base)] : [name];
  });
}

const packages = readdirSync(join(root, 'packages'));

test('the Layout section exists', () => {
  expect(layout.length).toBeGreaterThan(0);
});

test.each(packages)('every source file and folder of packages/%s is named in the Layout section', (name) => {
  const src = join(root, 'packages', name, 'src');
  // A file is named by its own name (a folder's files may share a line: `runtime.ts + inspector.ts`).
  const missing = walk(src, src).filter((path) => {
    const own = path.endsWith('/') ? `${path.split('/').at(-2)}/` : path.split('/').at(-1)!;
    // As a name of its own: `run.ts` is not named by `_run.ts`, nor `cache.ts` by `disk-cache.ts`.
    return !new RegExp(`(^|[^\\w.-])${own.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm').test(layout);
  });
  expect(missing).toEqual([]);
});
