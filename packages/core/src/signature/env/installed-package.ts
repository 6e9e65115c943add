import { type Dirent, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A package as installed on disk: what its package.json says about itself and what it needs. */
export interface InstalledPackage {
  /** The package's root after following symlinks; one installed copy, one `dir`. */
  dir: string;
  /** `name` from its package.json, or the folder name it is installed under when the manifest has none. */
  name: string;
  /** `version` from its package.json; `unversioned` when missing, `unreadable` when the manifest is not JSON. */
  version: string;
  /** Its `dependencies`, `optionalDependencies` and `peerDependencies`, each once, by the name it imports them under. */
  dependencies: readonly PackageDependency[];
}

/** One dependency a package declares. */
export interface PackageDependency {
  /** The name it is installed under in `node_modules` (an alias when the spec is `npm:other@1`). */
  name: string;
  /** `required` must be installed; `optional` and `peer` may be absent without anything being wrong. */
  kind: 'required' | 'optional' | 'peer';
}

const packagesByDir = new Map<string, InstalledPackage>();

/** The package installed at `dir` (a package root), read once per process. */
export function readInstalledPackage(dir: string, installedAs: string): InstalledPackage {
  let installed = packagesByDir.get(dir);
  if (!installed) {
    installed = readManifest(dir, installedAs);
    packagesByDir.set(dir, installed);
  }
  return installed;
}

function readManifest(dir: string, installedAs: string): InstalledPackage {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return { dir, name: installedAs, version: 'unreadable', dependencies: [] };
  }
  const kinds = new Map<string, PackageDependency['kind']>();
  // Later fields win: a name listed both in dependencies and optionalDependencies is optional, as npm installs it.
  for (const name of namesIn(manifest.peerDependencies)) kinds.set(name, 'peer');
  for (const name of namesIn(manifest.dependencies)) kinds.set(name, 'required');
  for (const name of namesIn(manifest.optionalDependencies)) kinds.set(name, 'optional');
  return {
    dir,
    name: typeof manifest.name === 'string' ? manifest.name : installedAs,
    version: typeof manifest.version === 'string' ? manifest.version : 'unversioned',
    dependencies: [...kinds].map(([name, kind]) => ({ name, kind })),
  };
}

function namesIn(field: unknown): string[] {
  return field && typeof field === 'object' ? Object.keys(field) : [];
}

/**
 * The root of package `name` as Node resolves it from `fromDir`: `<dir>/node_modules/<name>` for `fromDir`
 * and each directory above it that is not itself a `node_modules` folder, symlinks followed. This also finds
 * pnpm's layout, where a package's dependencies are its siblings in `.pnpm/<id>/node_modules/`.
 */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  const [first, rest] = name.startsWith('@') ? splitScope(name) : [name, undefined];
  for (const modules of lookupDirs(fromDir)) {
    if (!entriesOf(modules)?.has(first)) continue;
    if (rest !== undefined && !entriesOf(join(modules, first))?.has(rest)) continue;
    const real = realPath(join(modules, name));
    if (real !== undefined) return real;
  }
  return undefined;
}

const realByPath = new Map<string, string | undefined>();

/**
 * `path` with every symlink followed; `undefined` when it does not exist. The same as `realpathSync`, but each
 * directory is resolved once per process, and the entries of `node_modules`, scope and `.pnpm` folders are
 * typed from one listing of the folder: pnpm links every dependency of every package, and a closure walk
 * that paid a full realpath (a `lstat` per path component) for each link spent most of its time there.
 */
export function realPath(path: string, links = 0): string | undefined {
  if (realByPath.has(path)) return realByPath.get(path);
  const parent = dirname(path);
  if (parent === path) return path;
  const realParent = realPath(parent, links);
  let real: string | undefined;
  if (realParent !== undefined) {
    const name = basename(path);
    const candidate = join(realParent, name);
    const entry = isListed(realParent)
      ? entriesOf(realParent)?.get(name)
      : lstatSync(candidate, { throwIfNoEntry: false });
    if (entry?.isSymbolicLink()) {
      // Past 40 links it is a loop, as the OS's own limit says.
      real = links < 40 ? realPath(resolve(realParent, readlinkSync(candidate)), links + 1) : undefined;
    } else if (entry) {
      real = candidate;
    }
  }
  realByPath.set(path, real);
  return real;
}

/** Folders whose listing a walk reads anyway, or that hold many packages (pnpm's virtual store). */
function isListed(dir: string): boolean {
  const name = basename(dir);
  return (
    name === 'node_modules' ||
    name === '.pnpm' ||
    (name.startsWith('@') && basename(dirname(dir)) === 'node_modules')
  );
}

const lookupDirsByDir = new Map<string, string[]>();

/** The `node_modules` folders Node looks in from `fromDir`, nearest first; every dependency of one package walks the same list. */
function lookupDirs(fromDir: string): string[] {
  let dirs = lookupDirsByDir.get(fromDir);
  if (!dirs) {
    dirs = [];
    for (let dir = fromDir; ; dir = dirname(dir)) {
      if (basename(dir) !== 'node_modules') dirs.push(join(dir, 'node_modules'));
      if (dirname(dir) === dir) break;
    }
    lookupDirsByDir.set(fromDir, dirs);
  }
  return dirs;
}

function splitScope(name: string): [string, string | undefined] {
  const slash = name.indexOf('/');
  return slash === -1 ? [name, undefined] : [name.slice(0, slash), name.slice(slash + 1)];
}

const entriesByDir = new Map<string, Map<string, Dirent> | undefined>();

/**
 * The entries of a folder by name, read once per process. A closure walk asks each `node_modules` above a
 * package for every dependency, and most asks miss (absent optional and peer dependencies, folders with no
 * `node_modules`): one listing per folder answers them all.
 */
function entriesOf(dir: string): Map<string, Dirent> | undefined {
  if (entriesByDir.has(dir)) return entriesByDir.get(dir);
  let entries: Map<string, Dirent> | undefined;
  // Most folders asked about do not exist; existsSync answers that several times faster than a throwing readdirSync.
  if (existsSync(dir)) {
    try {
      entries = new Map(readdirSync(dir, { withFileTypes: true }).map((entry) => [entry.name, entry]));
    } catch {
      entries = undefined;
    }
  }
  entriesByDir.set(dir, entries);
  return entries;
}

/** The package name in an import specifier: `lodash/fp` → `lodash`, `@scope/name/sub` → `@scope/name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}
