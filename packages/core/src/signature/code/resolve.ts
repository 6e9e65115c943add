import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NapiResolveOptions, ResolverFactory } from 'oxc-resolver';
import { onFirstUse } from '../../util/index.ts';
import { currentRuntime } from './resolve-runtime.ts';

/** What an import specifier names, as the running program resolved it. */
export type Resolved =
  /** Code the project owns: after following symlinks, the file is not inside any node_modules folder (relative files, tsconfig paths, package.json imports, pnpm workspace packages linked as `workspace:*`, `file:` dependencies installed by npm). Hashed like a relative module. */
  | { kind: 'source'; file: string }
  /** An installed npm package: hashed by name and version (the env). `dir` is its package root (realpath), `file` the entry it resolves to when known. */
  | { kind: 'package'; name: string; dir: string; file?: string }
  /** `node:fs`, `fs`, …: `name` is always the `node:` form, the same module either way. */
  | { kind: 'builtin'; name: string }
  /** Could not be resolved: said to users, never guessed. */
  | { kind: 'unresolved'; specifier: string; reason: string };

/** An `import` (ESM conditions) or a `require` (CommonJS conditions). */
export type ImportKind = 'import' | 'require';

const cache: Record<ImportKind, Map<string, Map<string, Resolved>>> = {
  import: new Map(),
  require: new Map(),
};

/**
 * Resolves `specifier` as written in `fromFile`, for an `import` (ESM conditions) or a `require`
 * (CJS conditions). Synchronous, cached for the life of the process.
 *
 * Follows what runs: the export conditions of this process (`--conditions`, e.g. `source`), TS
 * files behind `.js` specifiers, extensionless and directory imports as tsx allows them, tsconfig
 * `paths` (from the file's nearest tsconfig, or from the one tsconfig tsx reads when running under
 * tsx), package.json `imports` and `exports`, and symlinks to their real path.
 *
 * @example
 * resolveSpecifier('@/lib/rate.js', '/app/src/main.ts'); // { kind: 'source', file: '/app/src/lib/rate.ts' }
 */
export function resolveSpecifier(specifier: string, fromFile: string, kind: ImportKind = 'import'): Resolved {
  const byFile = cache[kind];
  let bySpecifier = byFile.get(fromFile);
  if (!bySpecifier) {
    bySpecifier = new Map();
    byFile.set(fromFile, bySpecifier);
  }
  let resolved = bySpecifier.get(specifier);
  if (!resolved) {
    resolved = resolveUncached(specifier, fromFile, kind);
    bySpecifier.set(specifier, resolved);
  }
  return resolved;
}

/** Forgets every resolution, read tsconfig and package.json: for a process whose files changed on disk. */
export function clearResolveCache(): void {
  cache.import.clear();
  cache.require.clear();
  packageNames.clear();
  base?.clearCache();
}

function resolveUncached(specifier: string, fromFile: string, kind: ImportKind): Resolved {
  if (isBuiltin(specifier)) {
    return { kind: 'builtin', name: specifier.startsWith('node:') ? specifier : `node:${specifier}` };
  }
  const parent = fromFile.startsWith('file:') ? fileURLToPath(fromFile) : fromFile;
  if (!isAbsolute(parent)) {
    throw new TypeError(`Expected \`fromFile\` to be an absolute path or file URL, got \`${fromFile}\`.`);
  }
  if (specifier.startsWith('node:')) {
    return unresolved(specifier, parent, `Node ${process.version} has no such builtin module`);
  }
  let request = specifier;
  if (specifier.startsWith('file:')) request = fileURLToPath(specifier);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) {
    return unresolved(specifier, parent, 'it is a URL, not a file or package');
  }
  const choice = resolverFor(parent, kind);
  const result =
    choice.tsconfig === 'auto'
      ? choice.resolver.resolveFileSync(parent, request)
      : choice.resolver.sync(dirname(parent), request);
  if (result.builtin) return { kind: 'builtin', name: result.builtin.resolved };
  if (result.path) return classify(result.path);
  const error = result.error ?? 'no file matches';
  const conditions = error.includes('conditions')
    ? ''
    : `conditions: ${runtimeConditions(kind).join(', ')}; `;
  const tsconfig =
    choice.tsconfig === 'auto' ? 'its nearest tsconfig.json' : (choice.tsconfig ?? 'no tsconfig');
  return unresolved(specifier, parent, `${error} (${conditions}paths from ${tsconfig})`);
}

function unresolved(specifier: string, fromFile: string, detail: string): Resolved {
  return {
    kind: 'unresolved',
    specifier,
    reason: `\`${specifier}\` imported by ${fromFile} does not resolve: ${detail}.`,
  };
}

const NODE_MODULES = `${sep}node_modules${sep}`;

function classify(file: string): Resolved {
  const at = file.lastIndexOf(NODE_MODULES);
  if (at === -1) return { kind: 'source', file };
  const root = at + NODE_MODULES.length;
  const segments = file.slice(root).split(sep);
  const depth = segments[0]!.startsWith('@') ? 2 : 1;
  const dir = file.slice(0, root) + segments.slice(0, depth).join(sep);
  return { kind: 'package', name: packageName(dir, segments.slice(0, depth).join('/')), dir, file };
}

const packageNames = new Map<string, string>();

function packageName(dir: string, folderName: string): string {
  let name = packageNames.get(dir);
  if (name === undefined) {
    name = folderName;
    try {
      const manifest = JSON.parse(readFileSync(`${dir}${sep}package.json`, 'utf8')) as { name?: unknown };
      if (typeof manifest.name === 'string' && manifest.name) name = manifest.name;
    } catch {
      // A package folder without a readable package.json is still named by its folder.
    }
    packageNames.set(dir, name);
  }
  return name;
}

interface ResolverChoice {
  resolver: ResolverFactory;
  /** `'auto'`: the file's nearest tsconfig; a path: that one tsconfig; undefined: none. */
  tsconfig: 'auto' | string | undefined;
}

// Loading the native resolver costs 10–25 ms, paid only by a process that resolves something.
const oxcResolver = onFirstUse<typeof import('oxc-resolver')>('oxc-resolver');
let base: ResolverFactory | undefined;
const resolvers = new Map<string, ResolverChoice>();

const TS_PARENT = /\.[cm]?tsx?$/;

function resolverFor(parent: string, kind: ImportKind): ResolverChoice {
  const runtime = currentRuntime();
  const language = TS_PARENT.test(parent) ? 'ts' : 'js';
  // tsx and TypeScript apply `paths` only to files of the project, never inside node_modules.
  const tsconfig = parent.includes(NODE_MODULES)
    ? undefined
    : runtime.underTsx
      ? runtime.tsxTsconfig
      : 'auto';
  const key = `${kind}\0${language}\0${tsconfig ?? ''}`;
  let choice = resolvers.get(key);
  if (!choice) {
    const options = resolveOptions(kind, language, tsconfig);
    base ??= new (oxcResolver().ResolverFactory)(options);
    choice = { resolver: base.cloneWithOptions(options), tsconfig };
    resolvers.set(key, choice);
  }
  return choice;
}

function runtimeConditions(kind: ImportKind): string[] {
  const runtime = currentRuntime();
  return kind === 'import' ? runtime.importConditions : runtime.requireConditions;
}

// tsx's order: a TS file's `./x.js` is `./x.ts` first; a JS file's is `./x.js` first, with the TS
// file only when there is no JS one (tsx retries with TS extensions after a miss).
const TS_FIRST: Record<string, string[]> = {
  '.js': ['.ts', '.tsx', '.js', '.jsx'],
  '.jsx': ['.tsx', '.ts', '.jsx', '.js'],
  '.mjs': ['.mts', '.mjs'],
  '.cjs': ['.cts', '.cjs'],
};
const JS_FIRST: Record<string, string[]> = {
  '.js': ['.js', '.ts', '.tsx', '.jsx'],
  '.jsx': ['.jsx', '.tsx', '.ts', '.js'],
  '.mjs': ['.mjs', '.mts'],
  '.cjs': ['.cjs', '.cts'],
};

function resolveOptions(
  kind: ImportKind,
  language: 'ts' | 'js',
  tsconfig: 'auto' | string | undefined,
): NapiResolveOptions {
  return {
    conditionNames: runtimeConditions(kind),
    extensions:
      language === 'ts'
        ? ['.ts', '.tsx', '.jsx', '.js', '.json', '.node']
        : ['.js', '.json', '.node', '.ts', '.tsx', '.jsx'],
    extensionAlias: language === 'ts' ? TS_FIRST : JS_FIRST,
    builtinModules: true,
    symlinks: true,
    ...(tsconfig === 'auto'
      ? { tsconfig: 'auto' as const }
      : tsconfig
        ? { tsconfig: { configFile: tsconfig } }
        : {}),
  };
}
