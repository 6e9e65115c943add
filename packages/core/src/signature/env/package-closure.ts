import { dirname, resolve } from 'node:path';
import { hashParts } from '../../util/index.ts';
import {
  type InstalledPackage,
  packageNameOf,
  readInstalledPackage,
  realPath,
  resolvePackageDir,
} from './installed-package.ts';
import { patchesOf } from './patches.ts';

/** What an npm package brings into a signature: its version, everything it loads in turn, and the patches on any of it. */
export interface PackageEnv {
  name: string;
  /** The version installed where `fromFile` resolves it; `unresolved` when not found. */
  version: string;
  /** Hash of every package in its installed dependency closure (name@version, sorted) and of the content of every patch applied to any of them. */
  closureHash: string;
  /** The closure itself, for `explain` and tests: `name@version` strings, sorted, the package itself excluded. */
  closure: string[];
  /** Patches found, as `name@version: <how>` (e.g. `pnpm patch <hash>`, `patch-package patches/x+1.0.0.patch`). */
  patches: string[];
}

const UNRESOLVED = 'unresolved';

const dirByImport = new Map<string, string | undefined>();
const envByDir = new Map<string, PackageEnv>();

/**
 * The environment of package `name` as `fromFile` sees it. `dir` when already known (the resolver gives the package root).
 * Cached per (package dir).
 *
 * @example
 * packageEnv('p-limit', '/app/src/jobs.ts').closure // ['yocto-queue@1.2.2']
 */
export function packageEnv(name: string, fromFile: string, dir?: string): PackageEnv {
  const packageName = packageNameOf(name);
  const root = dir === undefined ? installedDir(packageName, fromFile) : realPath(resolve(dir));
  if (root === undefined) return unresolved(packageName);
  const cacheKey = `${packageName}\0${root}`;
  let env = envByDir.get(cacheKey);
  if (!env) {
    env = closureEnv(packageName, readInstalledPackage(root, packageName));
    envByDir.set(cacheKey, env);
  }
  return env;
}

function installedDir(name: string, fromFile: string): string | undefined {
  const cacheKey = `${dirname(fromFile)}\0${name}`;
  if (!dirByImport.has(cacheKey)) dirByImport.set(cacheKey, resolvePackageDir(name, dirname(fromFile)));
  return dirByImport.get(cacheKey);
}

function unresolved(name: string): PackageEnv {
  return {
    name,
    version: UNRESOLVED,
    closureHash: hashParts([`${name}@${UNRESOLVED}`]),
    closure: [],
    patches: [],
  };
}

function closureEnv(name: string, root: InstalledPackage): PackageEnv {
  const { installed, missing } = installedClosure(root);
  const closure = new Set<string>(missing.map((dependency) => `${dependency}@${UNRESOLVED}`));
  const patches: string[] = [];
  const patchParts: string[] = [];
  for (const pkg of installed) {
    const id = `${pkg.name}@${pkg.version}`;
    if (pkg !== root) closure.add(id);
    for (const patch of patchesOf(pkg)) {
      patches.push(`${id}: ${patch.how}`);
      patchParts.push(`${id}: ${patch.how}\0${patch.contentHash}`);
    }
  }
  const sortedClosure = [...closure].sort();
  const self = `${name}@${root.version}`;
  return {
    name,
    version: root.version,
    closureHash: hashParts([self, ...sortedClosure, ...patchParts.sort()]),
    closure: sortedClosure,
    patches: patches.sort(),
  };
}

/**
 * Every installed package `root` can load, itself included: its dependencies resolved from its own real
 * directory as Node would, then theirs, each installed copy once (which also ends cycles). A required
 * dependency that is not installed is listed in `missing`; an absent optional or peer one is not a fault.
 */
function installedClosure(root: InstalledPackage): { installed: InstalledPackage[]; missing: string[] } {
  const seen = new Map<string, InstalledPackage>([[root.dir, root]]);
  const missing = new Set<string>();
  const pending = [root];
  for (let pkg = pending.pop(); pkg; pkg = pending.pop()) {
    for (const dependency of pkg.dependencies) {
      const dir = resolvePackageDir(dependency.name, pkg.dir);
      if (dir === undefined) {
        if (dependency.kind === 'required') missing.add(dependency.name);
        continue;
      }
      if (seen.has(dir)) continue;
      const installed = readInstalledPackage(dir, dependency.name);
      seen.set(dir, installed);
      pending.push(installed);
    }
  }
  return { installed: [...seen.values()], missing: [...missing] };
}
