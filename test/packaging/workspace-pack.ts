/**
 * The workspace's public packages packed as they are published: a copy of the working tree is
 * installed, built and packed, so the working tree never gets a `dist/` (tests and the CLI's bin
 * prefer a build when there is one).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './commands.ts';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const pnpm = ['-y', 'pnpm@10'];

/** What a clone does not have: installs, builds, caches and git's own data. */
const notCopied = new Set(['node_modules', 'dist', '.git', '.memoflow', 'coverage']);

export interface PackedPackage {
  /** `@memoflow/core`, … */
  name: string;
  /** The `.tgz` file `pnpm pack` wrote. */
  tarball: string;
}

export interface PackedWorkspace {
  /** The temporary folder holding the copy and the tarballs. */
  dir: string;
  packages: PackedPackage[];
  /** Removes `dir`. */
  dispose(): void;
}

/** Copies the working tree, installs it from the pnpm store, builds it and packs each public package. */
export async function packWorkspace(): Promise<PackedWorkspace> {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-packaging-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, 'workspace');
    cpSync(repositoryRoot, copy, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (path) => !notCopied.has(basename(path)),
    });
    await installFromStore(copy);
    await run('npx', [...pnpm, 'build'], { cwd: copy });
    const packages = await Promise.all(
      publicPackageDirs(copy).map((packageDir) => pack(packageDir, join(dir, 'tarballs'))),
    );
    return { dir, packages, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

async function installFromStore(workspace: string): Promise<void> {
  // The lockfile is not frozen: this checks what gets published, not whether the lockfile is current.
  const install = (mode: string) =>
    run('npx', [...pnpm, 'install', mode, '--no-frozen-lockfile'], { cwd: workspace });
  await install('--offline').catch(() => install('--prefer-offline'));
}

function publicPackageDirs(workspace: string): string[] {
  const packagesDir = join(workspace, 'packages');
  return readdirSync(packagesDir)
    .map((name) => join(packagesDir, name))
    .filter((packageDir) => {
      const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
      return manifest.private !== true;
    });
}

async function pack(packageDir: string, tarballsDir: string): Promise<PackedPackage> {
  const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  // One folder per package, so the only file in it is this package's tarball.
  const destination = join(tarballsDir, basename(packageDir));
  mkdirSync(destination, { recursive: true });
  await run('npx', [...pnpm, 'pack', '--pack-destination', destination], { cwd: packageDir });
  const [tarball] = readdirSync(destination);
  if (!tarball?.endsWith('.tgz')) throw new Error(`pnpm pack wrote no .tgz for ${name} into ${destination}`);
  return { name, tarball: join(destination, tarball) };
}

/** The paths inside a tarball (each starts with `package/`). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { cwd: tmpdir() });
  return stdout.split('\n').filter(Boolean);
}

/** The package.json inside a tarball. */
export async function tarballManifest(tarball: string): Promise<Record<string, any>> {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: tmpdir() });
  return JSON.parse(stdout);
}
