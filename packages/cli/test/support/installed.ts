/**
 * The CLI as npm installs it: @memoflow/cli and the memoflow packages it uses, each compiled by
 * its own tsconfig.build.json (what `pnpm build` runs) into a scratch directory, then laid out in
 * a scratch project's node_modules with the package.json they are published with, beside links to
 * their installed dependencies. Nothing is built into packages/<name>/dist: the workspace `bin`
 * and other tests choose dist when it exists.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CliOptions, type CliProject, cliProject, memoflow } from './cli.ts';

export type MemoflowPackage = 'cli' | 'core' | 'redis' | 'bullmq';

const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

export interface BuiltPackages {
  /**
   * A scratch project (ESM) with `packages` installed in its node_modules and their dependencies,
   * but the third-party ones named in `leaveOut`; `cli()` runs its `node_modules/.bin/memoflow`.
   */
  project(
    packages: readonly MemoflowPackage[],
    files?: Record<string, string>,
    leaveOut?: readonly string[],
  ): CliProject;
  dispose(): void;
}

/** Compiles `packages` (in parallel) into a scratch directory; `dispose()` removes it. */
export async function buildPackages(packages: readonly MemoflowPackage[]): Promise<BuiltPackages> {
  const out = mkdtempSync(join(tmpdir(), 'memoflow-build-'));
  // Type checking is the typecheck's job; --noCheck emits the same JavaScript, in a third of the time.
  await Promise.all(
    packages.map((name) =>
      promisify(execFile)(process.execPath, [
        TSC,
        '-p',
        join(PACKAGES, name, 'tsconfig.build.json'),
        '--outDir',
        join(out, name),
        '--noCheck',
      ]),
    ),
  );
  return {
    project(installed, files = {}, leaveOut = []) {
      const project = cliProject(files);
      for (const name of installed) install(project.dir, name, join(out, name), leaveOut);
      const bin = join(project.dir, 'node_modules/.bin/memoflow');
      return Object.assign(project, {
        cli: (args: readonly string[], options?: CliOptions) => memoflow(project.dir, args, options, bin),
      });
    },
    dispose: () => rmSync(out, { recursive: true, force: true }),
  };
}

/**
 * Installs the package `name`, compiled into `dist`, in the project at `dir`, as npm lays out a
 * flat install: its package.json as published (publishConfig's fields over the workspace's), its
 * files, its `bin` linked from node_modules/.bin, and its third-party dependencies linked to the
 * copies the workspace installed.
 */
function install(dir: string, name: MemoflowPackage, dist: string, leaveOut: readonly string[]): void {
  const source = join(PACKAGES, name);
  const target = join(dir, 'node_modules/@memoflow', name);
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    bin?: Record<string, string>;
    dependencies?: Record<string, string>;
    publishConfig?: Record<string, unknown>;
  };
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'package.json'), JSON.stringify({ ...manifest, ...manifest.publishConfig }));
  cpSync(dist, join(target, 'dist'), { recursive: true });
  for (const [command, path] of Object.entries(manifest.bin ?? {})) {
    cpSync(join(source, path), join(target, path));
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    symlinkSync(join(target, path), join(dir, 'node_modules/.bin', command));
  }
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (dependency.startsWith('@memoflow/') || leaveOut.includes(dependency)) continue;
    const link = join(dir, 'node_modules', dependency);
    mkdirSync(join(link, '..'), { recursive: true });
    try {
      symlinkSync(realpathSync(join(source, 'node_modules', dependency)), link);
    } catch (error) {
      // Two packages that depend on one package share its one copy, as in a flat install.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
