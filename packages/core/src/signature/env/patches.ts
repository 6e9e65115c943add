import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { hash } from '../../util/index.ts';
import type { InstalledPackage } from './installed-package.ts';

/** A patch applied to an installed package. */
export interface AppliedPatch {
  /** How it was applied and which patch, e.g. `pnpm patch <hash>` or `patch-package patches/x+1.0.0.patch`. */
  how: string;
  /** What identifies the patch's content: pnpm's own hash of the patch file, or the sha256 of a patch-package file. */
  contentHash: string;
}

/** Every patch applied to the package installed at `pkg.dir`: pnpm's `patchedDependencies` and patch-package's `patches/`. */
export function patchesOf(pkg: InstalledPackage): AppliedPatch[] {
  const patches: AppliedPatch[] = [];
  const pnpmHash = pnpmPatchHash(pkg);
  if (pnpmHash) patches.push({ how: `pnpm patch ${/^[0-9a-f]*/.exec(pnpmHash)![0]}`, contentHash: pnpmHash });
  const declared = declaredPnpmPatch(pkg);
  if (declared) patches.push(declared);
  const root = patchPackageRoot(pkg.dir);
  if (root) {
    for (const file of patchPackageFiles(root).get(pkg.dir) ?? []) {
      patches.push({
        how: `patch-package patches/${file}`,
        contentHash: patchFileHash(join(root, 'patches', file)),
      });
    }
  }
  return patches;
}

// --- pnpm -----------------------------------------------------------------------------------------

const PATCH_HASH_MARK = '_patch_hash=';

/**
 * pnpm installs a patched package in a virtual-store folder of its own,
 * `.pnpm/<name>@<version>_patch_hash=<sha256 of the patch>[_<peers>]/node_modules/<name>`, so the
 * folder name says which patch the installed files carry. A folder name longer than pnpm's limit is
 * cut and suffixed with a hash; then the mark may be gone and the virtual store's `lock.yaml` says it.
 */
function pnpmPatchHash(pkg: InstalledPackage): string | undefined {
  const inner = pkg.dir.lastIndexOf(`${sep}node_modules${sep}`);
  if (inner === -1) return undefined;
  const folder = basename(pkg.dir.slice(0, inner));
  const mark = folder.indexOf(PATCH_HASH_MARK);
  // What follows the mark is the hash, then peers or, in a cut name, a hash of the whole name: all of it identifies the patch.
  if (mark !== -1) return folder.slice(mark + PATCH_HASH_MARK.length);
  const patched = pnpmPatchedDependencies(virtualStoreLock(pkg.dir));
  return patched.get(`${pkg.name}@${pkg.version}`) ?? patched.get(pkg.name);
}

/** `<project>/node_modules/.pnpm/lock.yaml`: the lockfile of what pnpm actually installed, in both its isolated and hoisted layouts. */
function virtualStoreLock(dir: string): string | undefined {
  const outer = dir.indexOf(`${sep}node_modules${sep}`);
  return outer === -1 ? undefined : join(dir.slice(0, outer), 'node_modules', '.pnpm', 'lock.yaml');
}

const patchedByLock = new Map<string, Map<string, string>>();

function pnpmPatchedDependencies(lockFile: string | undefined): Map<string, string> {
  if (!lockFile) return new Map();
  let patched = patchedByLock.get(lockFile);
  if (!patched) {
    patched = readPatchedDependencies(lockFile);
    patchedByLock.set(lockFile, patched);
  }
  return patched;
}

/**
 * The `patchedDependencies` block of a pnpm lockfile, `name@version` (or `name`) → patch hash.
 * The block is two fixed levels of plain YAML written by pnpm itself, so a line reader is enough
 * and spares a YAML parser.
 */
function readPatchedDependencies(lockFile: string): Map<string, string> {
  const patched = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return patched;
  }
  const start = text.search(/^patchedDependencies:\s*$/m);
  if (start === -1) return patched;
  let key: string | undefined;
  for (const line of text.slice(start).split(/\r?\n/).slice(1)) {
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) break;
    const entry = /^ {2}(\S.*?):\s*(\S.*)?$/.exec(line);
    if (entry) {
      key = unquote(entry[1]!);
      // pnpm 8 wrote `name@version: <hash>` on one line; 9 and 10 nest `hash:` and `path:` under the key.
      if (entry[2]) patched.set(key, unquote(entry[2]));
      continue;
    }
    const field = /^ {4}hash:\s*(\S+)/.exec(line);
    if (field && key) patched.set(key, unquote(field[1]!));
  }
  return patched;
}

/**
 * The patch file the project declares for this package (`pnpm.patchedDependencies` in its
 * package.json, or `patchedDependencies` in pnpm-workspace.yaml), hashed by content: an edited
 * patch counts before the next install applies it, so a stored result never outlives its patch.
 */
function declaredPnpmPatch(pkg: InstalledPackage): AppliedPatch | undefined {
  const outer = pkg.dir.indexOf(`${sep}node_modules${sep}`);
  if (outer === -1) return undefined;
  const root = pkg.dir.slice(0, outer);
  const declared = new Map<string, string>();
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const [key, path] of Object.entries(manifest?.pnpm?.patchedDependencies ?? {}))
      if (typeof path === 'string') declared.set(key, path);
  } catch {
    // No readable package.json: nothing declared there.
  }
  for (const [key, path] of readPatchedDependencies(join(root, 'pnpm-workspace.yaml')))
    declared.set(key, path);
  const path = declared.get(`${pkg.name}@${pkg.version}`) ?? declared.get(pkg.name);
  if (!path || !existsSync(join(root, path))) return undefined;
  return { how: `pnpm patchedDependencies ${path}`, contentHash: patchFileHash(join(root, path)) };
}

function unquote(text: string): string {
  return /^(['"]).*\1$/.test(text) ? text.slice(1, -1) : text;
}

// --- patch-package --------------------------------------------------------------------------------

const rootByStart = new Map<string, string | undefined>();

/**
 * The project whose `patches/` patch-package applies to this package: the nearest folder with a
 * package.json and a `patches/` folder, looking from the folder that holds the outermost `node_modules`
 * (a package that ships a `patches/` folder of its own is not a project).
 */
function patchPackageRoot(dir: string): string | undefined {
  const outer = dir.indexOf(`${sep}node_modules${sep}`);
  const start = outer === -1 ? dirname(dir) : dir.slice(0, outer);
  if (rootByStart.has(start)) return rootByStart.get(start);
  let root: string | undefined;
  for (let candidate = start; ; candidate = dirname(candidate)) {
    if (existsSync(join(candidate, 'package.json')) && isDirectory(join(candidate, 'patches'))) {
      root = candidate;
      break;
    }
    if (dirname(candidate) === candidate) break;
  }
  rootByStart.set(start, root);
  return root;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

const filesByRoot = new Map<string, Map<string, string[]>>();

/** The patch files of a project, by the real directory of the package each one patches. */
function patchPackageFiles(root: string): Map<string, string[]> {
  let byTarget = filesByRoot.get(root);
  if (byTarget) return byTarget;
  byTarget = new Map();
  const patchesDir = join(root, 'patches');
  const files = readdirSync(patchesDir, { recursive: true, encoding: 'utf8' })
    .map((file) => file.split(sep).join('/'))
    .filter((file) => file.endsWith('.patch'))
    .sort();
  for (const file of files) {
    const names = patchedPackagePath(file);
    if (!names) continue;
    const installed = join(root, 'node_modules', names.join(`${sep}node_modules${sep}`));
    // patch-package writes into whatever `node_modules/<name>` points at, so the patched copy is its real path.
    let target: string;
    try {
      target = realpathSync.native(installed);
    } catch {
      continue;
    }
    byTarget.set(target, [...(byTarget.get(target) ?? []), file]);
  }
  filesByRoot.set(root, byTarget);
  return byTarget;
}

/**
 * The chain of package names a patch-package file name patches: `a+1.0.0.patch` → `[a]`,
 * `@scope+name+1.0.0.patch` → `[@scope/name]`, `a++b+2.0.0.patch` → `[a, b]` (b inside a's node_modules),
 * also with a sequence (`a+1.0.0+001+fix.patch`), `.dev.patch` and the old `name:1.0.0.patch` form.
 * `undefined` when the name is not one patch-package would apply.
 */
export function patchedPackagePath(file: string): string[] | undefined {
  const base = file.replace(/(\.dev)?\.patch$/, '');
  const legacy = /^([^+=]+?):\d+\.\d+\.\d+/.exec(base);
  if (legacy) return [legacy[1]!];
  const segments = base.split('++');
  const names: string[] = [];
  for (const [index, segment] of segments.entries()) {
    const parts = segment.split('+').filter(Boolean);
    const versionAt = parts.findIndex((part) => /^\d+\.\d+\.\d+/.test(part));
    if (versionAt === -1 && index === segments.length - 1) return undefined;
    const nameParts = versionAt === -1 ? parts : parts.slice(0, versionAt);
    if (nameParts.length < 1 || nameParts.length > 2) return undefined;
    names.push(nameParts.join('/'));
  }
  return names;
}

const hashByPatchFile = new Map<string, string>();

function patchFileHash(path: string): string {
  let contentHash = hashByPatchFile.get(path);
  if (!contentHash) {
    contentHash = hash(readFileSync(path));
    hashByPatchFile.set(path, contentHash);
  }
  return contentHash;
}
