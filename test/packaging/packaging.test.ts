import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from './commands.ts';
import { type LocalRegistry, startRegistry } from './registry.ts';
import { type PackedWorkspace, packWorkspace, tarballFiles, tarballManifest } from './workspace-pack.ts';

/**
 * memoflow as users get it: the public packages built and packed from a copy of this working tree,
 * their tarballs checked, core installed from its tarball alone, then everything published to a
 * private registry and installed from there into an empty project that runs the CLI, runs the
 * conformance suite under vitest, loads core from CommonJS and type-checks a strict TypeScript app.
 */

const packagesDir = new URL('../../packages/', import.meta.url);
const publicPackages = readdirSync(packagesDir)
  .map((dir) => JSON.parse(readFileSync(new URL(`${dir}/package.json`, packagesDir), 'utf8')))
  .filter((manifest) => manifest.private !== true)
  .map((manifest) => manifest.name as string);
const typescriptMajor = JSON.parse(
  readFileSync(new URL('../../node_modules/typescript/package.json', import.meta.url), 'utf8'),
).version.split('.')[0];
const vitestMajor = JSON.parse(
  readFileSync(new URL('../../node_modules/vitest/package.json', import.meta.url), 'utf8'),
).version.split('.')[0];
const nodeMajor = process.versions.node.split('.')[0];

const npmQuiet = ['--no-audit', '--no-fund', '--loglevel=error'];
/** A line printing what `core` holds under the names every program uses, and what it must print. */
const printCoreExports = 'console.log(typeof core.func, typeof core.DiskCache, typeof core.Pipeline);\n';
const coreExportsLine = 'function function function\n';

let workspace: PackedWorkspace;
const tarballOf = (name: string) => workspace.packages.find((packed) => packed.name === name)!.tarball;

beforeAll(async () => {
  workspace = await packWorkspace();
}, 300_000);
afterAll(() => workspace?.dispose());

/** An empty project folder (a package.json, `type: module`) in the workspace's temporary folder. */
function emptyProject(name: string): string {
  const dir = join(workspace.dir, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return dir;
}

test('every public package is packed', () => {
  expect(workspace.packages.map((packed) => packed.name).sort()).toEqual([...publicPackages].sort());
  expect(publicPackages).toEqual(expect.arrayContaining(['@memoflow/core', '@memoflow/cli']));
});

describe.each(publicPackages)('the %s tarball', (name) => {
  test('has a package.json with no workspace protocol or source condition, and its metadata', async () => {
    const manifest = await tarballManifest(tarballOf(name));
    const text = JSON.stringify(manifest);
    expect(text).not.toContain('workspace:');
    expect(text).not.toContain('memoflow-source');
    expect(manifest.engines?.node).toMatch(/^>=\s*\d/);
    expect(manifest.repository?.url).toEqual(expect.any(String));
    expect(manifest.homepage).toEqual(expect.any(String));
    expect(manifest.bugs?.url).toEqual(expect.any(String));
    expect(manifest.keywords).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  test('holds the built files with README.md and LICENSE, and no sources or tests', async () => {
    const files = await tarballFiles(tarballOf(name));
    expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE']));
    expect(files.filter((file) => /^package\/(src|test)\//.test(file))).toEqual([]);
    expect(files.filter((file) => /\.(test|spec)\.[cm]?[jt]s$/.test(file))).toEqual([]);
    const manifest = await tarballManifest(tarballOf(name));
    const entries = [
      // The files the exports point at (after a colon), not their subpaths (`./backend-kit`).
      ...JSON.stringify(manifest.exports).matchAll(/:"\.\/([^"]+)"/g),
      ...Object.values<string>(manifest.bin ?? {}).map((bin) => [bin, bin.replace(/^\.\//, '')]),
    ].map((match) => `package/${match[1]}`);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.filter((entry) => !files.includes(entry))).toEqual([]);
  });
});

test('core installed from its tarball alone loads by import and by require', async () => {
  const project = emptyProject('from-tarball');
  await run('npm', ['install', tarballOf('@memoflow/core'), ...npmQuiet], { cwd: project });
  writeFileSync(
    join(project, 'check.mjs'),
    `const core = await import('@memoflow/core');\n${printCoreExports}` +
      `console.log(await core.func((x) => x * 2)(21));\n`,
  );
  writeFileSync(
    join(project, 'check.cjs'),
    `const core = require('@memoflow/core');\n${printCoreExports}` +
      `core.func((x) => x * 3)(14).then(console.log);\n`,
  );
  expect((await run('node', ['check.mjs'], { cwd: project })).stdout).toBe(`${coreExportsLine}42\n`);
  expect((await run('node', ['check.cjs'], { cwd: project })).stdout).toBe(`${coreExportsLine}42\n`);
}, 180_000);

describe('installed from a registry', () => {
  let registry: LocalRegistry;
  let project: string;

  beforeAll(async () => {
    registry = await startRegistry();
    const withRegistry = ['--registry', registry.url, '--userconfig', registry.userconfig, ...npmQuiet];
    await Promise.all(
      workspace.packages.map((packed) =>
        run('npm', ['publish', packed.tarball, ...withRegistry], { cwd: workspace.dir }),
      ),
    );
    project = emptyProject('from-registry');
    await run(
      'npm',
      [
        'install',
        '@memoflow/core',
        '@memoflow/cli',
        '@memoflow/conformance',
        `vitest@${vitestMajor}`,
        `typescript@${typescriptMajor}`,
        `@types/node@${nodeMajor}`,
        ...withRegistry,
      ],
      { cwd: project, timeout: 240_000 },
    );
  }, 300_000);
  afterAll(() => registry?.stop());

  test('npx memoflow run on a .ts pipeline computes it, then serves every node from the cache', async () => {
    writeFileSync(
      join(project, 'pipeline.ts'),
      `import { func, Pipeline } from '@memoflow/core';

const numbers = func({ output: 'numbers' }, (count: number) => Array.from({ length: count }, (_, i) => i + 1));
const doubled = func({ output: 'doubled' }, (numbers: number[]) => numbers.map((n) => n * 2));
const total = func({ output: 'total' }, (doubled: number[]) => doubled.reduce((sum, n) => sum + n, 0));

export default new Pipeline([numbers, doubled, total]);
`,
    );
    const runPipeline = async () => {
      const args = ['--no', '--', 'memoflow', 'run', 'pipeline.ts', '--input', 'count=4', '--json'];
      const { outputs, report } = JSON.parse((await run('npx', args, { cwd: project })).stdout);
      const statuses = report.nodes.map(
        (node: { node: string; status: string }) => `${node.node}: ${node.status}`,
      );
      return { outputs, statuses };
    };
    expect(await runPipeline()).toEqual({
      outputs: { total: 20 },
      statuses: ['numbers: miss', 'doubled: miss', 'total: miss'],
    });
    expect(await runPipeline()).toEqual({
      outputs: { total: 20 },
      statuses: ['numbers: hit', 'doubled: hit', 'total: hit'],
    });
  }, 120_000);

  test("a backend's test file runs the published conformance suite under vitest, from dist", async () => {
    writeFileSync(
      join(project, 'memory-cache.test.mjs'),
      `import { describeCacheBackend } from '@memoflow/conformance';
import { MemoryCache } from '@memoflow/core';

describeCacheBackend('MemoryCache', () => new MemoryCache(), {
  bounded: ({ maxEntries, maxBytes }) => new MemoryCache({ maxEntries, maxBytes }),
});
`,
    );
    const { stdout } = await run('npx', ['--no', '--', 'vitest', 'run', 'memory-cache.test.mjs'], {
      cwd: project,
      env: { NO_COLOR: '1' },
    });
    expect(stdout).toMatch(/Test Files {2}1 passed \(1\)\n\s+Tests {2}(\d{2,}) passed \(\1\)\n/);
  }, 120_000);

  test('core loads by require() from CommonJS', async () => {
    writeFileSync(join(project, 'check.cjs'), `const core = require('@memoflow/core');\n${printCoreExports}`);
    expect((await run('node', ['check.cjs'], { cwd: project })).stdout).toBe(coreExportsLine);
  });

  test('a strict TypeScript app type-checks against the published types, and a wrong call does not', async () => {
    writeFileSync(
      join(project, 'app.ts'),
      `import { DiskCache, func, type NodeStatus, Pipeline, Runner } from '@memoflow/core';

const double = func({}, (x: number) => x * 2);
const doubled: number = await double(2);
// @ts-expect-error a memoized function keeps its parameter types
await double('2');

const pipeline = new Pipeline([func({ output: 'twice' }, (count: number) => count * 2)]);
const { report } = await new Runner({ cache: { backend: new DiskCache() } }).run(pipeline, { count: 1 });
const statuses: NodeStatus[] = report.nodes.map((node) => node.status);
console.log(doubled, statuses);
`,
    );
    // An unused `@ts-expect-error` is itself an error (TS2578): the wrong call must fail to check.
    const tsc = ['--no', '--', 'tsc', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    await run('npx', [...tsc, '--noEmit', 'app.ts'], { cwd: project });
  }, 120_000);
});
