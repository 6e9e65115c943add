/**
 * The meta-test: every class in packages/<name>/src (folders included) or examples/<name> that is
 * a CacheBackend (it implements `CacheBackend`, or extends a class that does, like the kit's
 * `ListedCache`) and is not abstract must be run through the conformance suite by some test file
 * of packages/<name>/test or examples/, with the class named in the `describeCacheBackend(...)` call
 * (its name argument or its factory).
 */
import fs from 'node:fs';
import { join, relative } from 'node:path';

import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packages = join(root, 'packages');
const examples = join(root, 'examples');

/** A class declaration: its name, whether abstract, the class it extends, whether it implements CacheBackend. */
interface ClassDeclaration {
  name: string;
  abstract: boolean;
  base: string | undefined;
  implementsBackend: boolean;
}

/** A source text without its comments (a JSDoc example of a class is not a class). */
const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

function classDeclarations(source: string): ClassDeclaration[] {
  const declaration =
    /(\babstract\s+)?\bclass\s+([A-Za-z_$][\w$]*)(?:\s*<[^{]*?>)?(?:\s+extends\s+([A-Za-z_$][\w$]*)[^{]*?)?(?:\s+implements\s+([^{]+))?\s*\{/g;
  return [...withoutComments(source).matchAll(declaration)].map((match) => ({
    name: match[2]!,
    abstract: match[1] !== undefined,
    base: match[3],
    implementsBackend: /\bCacheBackend\b/.test(match[4] ?? ''),
  }));
}

/** The concrete backend classes among declarations: those implementing CacheBackend, or extending one that does. */
function backendsAmong(declarations: readonly ClassDeclaration[]): ClassDeclaration[] {
  const backends = new Set(declarations.filter((c) => c.implementsBackend).map((c) => c.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of declarations) {
      if (c.base !== undefined && backends.has(c.base) && !backends.has(c.name)) {
        backends.add(c.name);
        grew = true;
      }
    }
  }
  return declarations.filter((c) => backends.has(c.name) && !c.abstract);
}

/** Names of the concrete backend classes declared in one source text. */
const backendClasses = (source: string): string[] =>
  backendsAmong(classDeclarations(source)).map((c) => c.name);

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

const isTest = (file: string) => file.endsWith('.test.ts');
const packageNames = fs
  .readdirSync(packages)
  .filter((name) => fs.existsSync(join(packages, name, 'package.json')));
const sources = [
  ...packageNames.flatMap((name) => filesUnder(join(packages, name, 'src'), (file) => file.endsWith('.ts'))),
  ...filesUnder(examples, (file) => file.endsWith('.ts') && !isTest(file)),
];
const testFiles = [
  ...packageNames.flatMap((name) => filesUnder(join(packages, name, 'test'), isTest)),
  ...filesUnder(examples, isTest),
];
const calls = testFiles.flatMap((file) =>
  conformanceCalls(fs.readFileSync(file, 'utf8')).map((text) => ({ file: relative(root, file), text })),
);
const declared = sources.flatMap((file) =>
  classDeclarations(fs.readFileSync(file, 'utf8')).map((c) => ({ ...c, file: relative(root, file) })),
);
const backends = backendsAmong(declared) as (ClassDeclaration & { file: string })[];

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
        `no test file under packages/*/test or examples/ calls describeCacheBackend(...) naming ${name}`,
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

  test('finds classes extending a backend class, through several levels, but not abstract ones or ones in comments', () => {
    const source = `
      export abstract class Listed implements CacheBackend {}
      class MapCache extends Listed {}
      class Sorted<K> extends MapCache implements Other {}
      abstract class Partial extends Listed {}
      class Plain extends Other {}
      /** @example class Example extends Listed { } */
      // class Commented extends Listed {}
    `;
    expect(backendClasses(source)).toEqual(['MapCache', 'Sorted']);
  });

  test('reads whole calls, nested parentheses included', () => {
    const source = `describeCacheBackend('X', () => new X({ dir: join(a, b) }));\ndescribeCacheBackend('Y', make);`;
    expect(conformanceCalls(source)).toEqual([
      `describeCacheBackend('X', () => new X({ dir: join(a, b) }))`,
      `describeCacheBackend('Y', make)`,
    ]);
  });
});
