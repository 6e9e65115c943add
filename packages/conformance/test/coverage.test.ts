/**
 * The meta-test: every class in packages/<name>/src that implements CacheBackend must be run
 * through the conformance suite by some test file, with the class named in the
 * `describeCacheBackend(...)` call (its name argument or its factory).
 */
import fs from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const packages = fileURLToPath(new URL('../../', import.meta.url));

/** Names of classes declared with `implements ... CacheBackend ...` in a source text. */
function backendClasses(source: string): string[] {
  const classes: string[] = [];
  const declaration =
    /\bclass\s+([A-Za-z_$][\w$]*)(?:\s*<[^{]*?>)?(?:\s+extends\s+[^{]*?)?\s+implements\s+([^{]+)\{/g;
  for (const match of source.matchAll(declaration)) {
    if (/\bCacheBackend\b/.test(match[2]!)) classes.push(match[1]!);
  }
  return classes;
}

/** The text of every `describeCacheBackend(...)` call in a source text, parentheses balanced. */
function conformanceCalls(source: string): string[] {
  const calls: string[] = [];
  const marker = 'describeCacheBackend(';
  for (let start = source.indexOf(marker); start !== -1; start = source.indexOf(marker, start + 1)) {
    let depth = 0;
    let end = start + marker.length - 1;
    for (; end < source.length; end++) {
      if (source[end] === '(') depth++;
      else if (source[end] === ')' && --depth === 0) break;
    }
    calls.push(source.slice(start, end + 1));
  }
  return calls;
}

function filesUnder(dir: string, accept: (name: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(
      (entry) =>
        entry.isFile() && accept(entry.name) && !join(entry.parentPath, entry.name).includes('node_modules'),
    )
    .map((entry) => join(entry.parentPath, entry.name));
}

const packageNames = fs
  .readdirSync(packages)
  .filter((name) => fs.existsSync(join(packages, name, 'package.json')));
const sources = packageNames.flatMap((name) =>
  fs
    .readdirSync(join(packages, name, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(packages, name, 'src', entry.name)),
);
const testFiles = packageNames.flatMap((name) =>
  filesUnder(join(packages, name, 'test'), (file) => file.endsWith('.test.ts')),
);
const calls = testFiles.flatMap((file) =>
  conformanceCalls(fs.readFileSync(file, 'utf8')).map((text) => ({ file: relative(packages, file), text })),
);
const backends = sources.flatMap((file) =>
  backendClasses(fs.readFileSync(file, 'utf8')).map((name) => ({ name, file: relative(packages, file) })),
);

describe('every CacheBackend runs the conformance suite', () => {
  test('the scan finds the backends of core', () => {
    expect(backends.map((backend) => backend.name)).toEqual(
      expect.arrayContaining(['MemoryCache', 'DiskCache']),
    );
  });

  test.each(backends.map((backend) => [backend.name, backend.file] as const))(
    '%s (%s) is run through describeCacheBackend',
    (name) => {
      const named = new RegExp(`\\b${name}\\b`);
      const covering = calls.filter((call) => named.test(call.text));
      expect(
        covering,
        `no test file under packages/*/test calls describeCacheBackend(...) naming ${name}`,
      ).not.toEqual([]);
    },
  );
});

describe('the scanner itself', () => {
  test('finds implementing classes, generic, extending, exported or not', () => {
    const source = `
      export class A implements CacheBackend { }
      class B extends Base implements Other, CacheBackend {
      export class C<T extends object> implements CacheBackend {}
      class D implements NotACacheBackendAtAll {}
      class E { implements = CacheBackend }
    `;
    expect(backendClasses(source)).toEqual(['A', 'B', 'C']);
  });

  test('reads whole calls, nested parentheses included', () => {
    const source = `describeCacheBackend('X', () => new X({ dir: join(a, b) }));\ndescribeCacheBackend('Y', make);`;
    expect(conformanceCalls(source)).toEqual([
      `describeCacheBackend('X', () => new X({ dir: join(a, b) }))`,
      `describeCacheBackend('Y', make)`,
    ]);
  });
});
