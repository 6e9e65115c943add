import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * The `@memoflow/core` package the cases link into their `node_modules`.
 * `MEMOFLOW_CORE_PACKAGE` points the corpus at another checkout of the package.
 * @default this repository's packages/core
 */
export const corePackage =
  process.env.MEMOFLOW_CORE_PACKAGE ?? fileURLToPath(new URL('../../packages/core', import.meta.url));

/** Runs this repository's tsc in `cwd`. */
export async function runTsc(cwd: string, args: string[]): Promise<void> {
  // With --noCheck tsc still reports unresolved type packages; what it emits is what counts.
  await exec(process.execPath, [tscBin, ...args], { cwd, timeout: 60_000 }).catch(() => {});
}

/** tsc options that compile `.ts` sources importing `.ts` specifiers to ESM JavaScript for Node. */
export const emitOptions = {
  target: 'ES2023',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  skipLibCheck: true,
  types: [],
};

let coreBuild: Promise<string> | undefined;

/**
 * The core package compiled to JavaScript by tsc, the way it is published: a package directory whose
 * default export is `dist/index.js`, for runs under plain `node`. Built once per process.
 */
export function builtCore(): Promise<string> {
  coreBuild ??= buildCore();
  return coreBuild;
}

/** Removes the compiled core package, if one was built. */
export async function removeBuiltCore(): Promise<void> {
  const build = coreBuild;
  coreBuild = undefined;
  if (build) rmSync(await build, { recursive: true, force: true });
}

async function buildCore(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-core-'));
  cpSync(join(corePackage, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(corePackage, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const compilerOptions = {
    ...emitOptions,
    sourceMap: true,
    rootDir: join(corePackage, 'src'),
    outDir: join(dir, 'dist'),
  };
  const files = [join(corePackage, 'src', 'index.ts')];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  await runTsc(dir, ['-p', '.', '--noCheck']);
  return dir;
}
