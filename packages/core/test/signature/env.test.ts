import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { packageEnv } from '../../src/signature/env/package-closure.ts';
import { patchedPackagePath } from '../../src/signature/env/patches.ts';

const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** A fresh project folder; each state of a test gets its own, so the per-process caches never answer for another state. */
function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-env-'));
  projects.push(dir);
  write(dir, 'package.json', JSON.stringify({ name: 'app', version: '0.0.0' }));
  write(dir, 'src/main.ts', 'export {};\n');
  for (const [path, text] of Object.entries(files)) write(dir, path, text);
  return dir;
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(relative(dirname(path), target), path, 'junction');
}

const pkg = (name: string, version: string, fields: Omit<Manifest, 'name' | 'version'> = {}): Manifest => ({
  name,
  version,
  ...fields,
});

/** npm's layout: each package at `node_modules/<path>`, e.g. `mid/node_modules/leaf` for a nested copy. */
function npmProject(packages: Record<string, Manifest>, files: Record<string, string> = {}): string {
  const dir = project(files);
  for (const [path, manifest] of Object.entries(packages)) {
    write(dir, `node_modules/${path}/package.json`, JSON.stringify(manifest));
  }
  return dir;
}

/**
 * pnpm's isolated layout: each package in `.pnpm/<name>@<version>[suffix]/node_modules/<name>`, its
 * dependencies symlinked beside it, the project's own dependencies symlinked into `node_modules/`.
 * Dependency specs are exact versions, optionally with the folder suffix: `'1.0.0_patch_hash=ab'`.
 */
function pnpmProject(packages: Array<Manifest & { suffix?: string }>, direct: string[]): string {
  const dir = project();
  const store = join(dir, 'node_modules', '.pnpm');
  const folderOf = (name: string, version: string) => `${name.replace('/', '+')}@${version}`;
  const modulesOf = (name: string, version: string) => join(store, folderOf(name, version), 'node_modules');
  const rootOf = (name: string, version: string) => join(modulesOf(name, version), name);
  for (const { suffix = '', ...manifest } of packages) {
    write(rootOf(manifest.name, manifest.version + suffix), 'package.json', JSON.stringify(manifest));
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    for (const [name, version] of Object.entries(deps)) {
      link(rootOf(name, version), join(modulesOf(manifest.name, manifest.version + suffix), name));
    }
  }
  for (const id of direct) {
    const at = id.lastIndexOf('@');
    link(rootOf(id.slice(0, at), id.slice(at + 1)), join(dir, 'node_modules', id.slice(0, at)));
  }
  return dir;
}

const envOf = (dir: string, name: string) => packageEnv(name, join(dir, 'src', 'main.ts'));

describe('npm layout', () => {
  const tree = (leafVersion: string) => ({
    'app-a': pkg('app-a', '1.0.0', { dependencies: { mid: '^1.0.0' } }),
    'app-b': pkg('app-b', '1.0.0', { dependencies: { other: '^1.0.0' } }),
    mid: pkg('mid', '1.0.0', { dependencies: { leaf: '^1.0.0' } }),
    leaf: pkg('leaf', leafVersion),
    other: pkg('other', '1.0.0'),
  });

  test('the closure lists every installed dependency, transitively, without the package itself', () => {
    const env = envOf(npmProject(tree('1.0.0')), 'app-a');
    expect(env).toMatchObject({
      name: 'app-a',
      version: '1.0.0',
      closure: ['leaf@1.0.0', 'mid@1.0.0'],
      patches: [],
    });
  });

  test('upgrading a transitive dependency changes the closure hash of the packages that reach it, and of no others', () => {
    const before = npmProject(tree('1.0.0'));
    const after = npmProject(tree('1.1.0'));
    expect(envOf(after, 'app-a').closureHash).not.toBe(envOf(before, 'app-a').closureHash);
    expect(envOf(after, 'mid').closureHash).not.toBe(envOf(before, 'mid').closureHash);
    expect(envOf(after, 'app-b').closureHash).toBe(envOf(before, 'app-b').closureHash);
  });

  test('the same installed tree in another folder gives the same closure hash', () => {
    expect(envOf(npmProject(tree('1.0.0')), 'app-a')).toEqual(envOf(npmProject(tree('1.0.0')), 'app-a'));
  });

  test('a nested copy is the one its dependent loads', () => {
    const dir = npmProject({ ...tree('1.0.0'), 'mid/node_modules/leaf': pkg('leaf', '2.0.0') });
    expect(envOf(dir, 'app-a').closure).toEqual(['leaf@2.0.0', 'mid@1.0.0']);
  });

  test('a missing package is unresolved; a missing required dependency is listed as unresolved, a missing optional one is not', () => {
    const dir = npmProject({
      lonely: pkg('lonely', '1.0.0', {
        dependencies: { gone: '^1.0.0' },
        optionalDependencies: { 'fsevents-like': '^1.0.0' },
        peerDependencies: { react: '*' },
      }),
    });
    expect(envOf(dir, 'nope')).toMatchObject({
      name: 'nope',
      version: 'unresolved',
      closure: [],
      patches: [],
    });
    expect(envOf(dir, 'lonely').closure).toEqual(['gone@unresolved']);
  });

  test('a peer dependency is part of the closure when it is installed', () => {
    const dir = npmProject({
      plugin: pkg('plugin', '1.0.0', { peerDependencies: { host: '^2' } }),
      host: pkg('host', '2.1.0'),
    });
    expect(envOf(dir, 'plugin').closure).toEqual(['host@2.1.0']);
  });

  test('cycles terminate, each package listing the other', () => {
    const dir = npmProject({
      a: pkg('a', '1.0.0', { dependencies: { b: '1' } }),
      b: pkg('b', '1.0.0', { dependencies: { a: '1' } }),
    });
    expect(envOf(dir, 'a').closure).toEqual(['b@1.0.0']);
    expect(envOf(dir, 'b').closure).toEqual(['a@1.0.0']);
  });

  test('a subpath import is its package; a known package root gives the same environment', () => {
    const dir = npmProject(tree('1.0.0'));
    expect(envOf(dir, 'app-a/sub/path')).toEqual(envOf(dir, 'app-a'));
    expect(packageEnv('app-a', join(dir, 'src', 'main.ts'), join(dir, 'node_modules', 'app-a'))).toEqual(
      envOf(dir, 'app-a'),
    );
  });
});

describe('pnpm layout', () => {
  const tree = (leafVersion: string) =>
    pnpmProject(
      [
        pkg('app-a', '1.0.0', { dependencies: { '@scope/mid': '1.0.0' } }),
        pkg('app-b', '1.0.0'),
        pkg('@scope/mid', '1.0.0', { dependencies: { leaf: leafVersion } }),
        pkg('leaf', leafVersion),
      ],
      ['app-a@1.0.0', 'app-b@1.0.0'],
    );

  test('dependencies are found as siblings in the virtual store', () => {
    expect(envOf(tree('1.0.0'), 'app-a').closure).toEqual(['@scope/mid@1.0.0', 'leaf@1.0.0']);
  });

  test('upgrading a transitive dependency changes the closure hash of the packages that reach it, and of no others', () => {
    const before = tree('1.0.0');
    const after = tree('1.0.1');
    expect(envOf(after, 'app-a').closure).toEqual(['@scope/mid@1.0.0', 'leaf@1.0.1']);
    expect(envOf(after, 'app-a').closureHash).not.toBe(envOf(before, 'app-a').closureHash);
    expect(envOf(after, 'app-b').closureHash).toBe(envOf(before, 'app-b').closureHash);
  });

  test('a package pnpm installed patched differs from the unpatched one, and by patch', () => {
    const patched = (hash: string) =>
      pnpmProject(
        [
          pkg('app-a', '1.0.0', { dependencies: { leaf: `1.0.0${hash}` } }),
          { ...pkg('leaf', '1.0.0'), suffix: hash },
        ],
        ['app-a@1.0.0'],
      );
    const plain = envOf(patched(''), 'app-a');
    const first = envOf(patched('_patch_hash=aaaa1111'), 'app-a');
    const second = envOf(patched('_patch_hash=bbbb2222'), 'app-a');
    expect(plain.patches).toEqual([]);
    expect(first.patches).toEqual(['leaf@1.0.0: pnpm patch aaaa1111']);
    expect(new Set([plain.closureHash, first.closureHash, second.closureHash]).size).toBe(3);
  });

  test("a patch recorded only in the virtual store's lockfile (hoisted layout) is found", () => {
    const lock = (hash: string) =>
      `lockfileVersion: '9.0'\n\npatchedDependencies:\n  leaf@1.0.0:\n    hash: ${hash}\n    path: patches/leaf@1.0.0.patch\n\nimporters:\n`;
    const hoisted = (hash: string) =>
      npmProject(
        { app: pkg('app', '1.0.0', { dependencies: { leaf: '1' } }), leaf: pkg('leaf', '1.0.0') },
        {
          'node_modules/.pnpm/lock.yaml': lock(hash),
        },
      );
    const env = envOf(hoisted('cafe01'), 'app');
    expect(env.patches).toEqual(['leaf@1.0.0: pnpm patch cafe01']);
    expect(envOf(hoisted('cafe02'), 'app').closureHash).not.toBe(env.closureHash);
  });
});

describe('patch-package', () => {
  const tree = (patches: Record<string, string>) =>
    npmProject(
      {
        'app-a': pkg('app-a', '1.0.0', { dependencies: { '@scope/mid': '1' } }),
        'app-b': pkg('app-b', '1.0.0'),
        '@scope/mid': pkg('@scope/mid', '1.0.0', { dependencies: { leaf: '1' } }),
        '@scope/mid/node_modules/leaf': pkg('leaf', '1.0.0'),
      },
      Object.fromEntries(Object.entries(patches).map(([name, text]) => [`patches/${name}`, text])),
    );

  test('file names name the package path they patch', () => {
    expect(patchedPackagePath('leaf+1.0.0.patch')).toEqual(['leaf']);
    expect(patchedPackagePath('@scope+mid+1.0.0.patch')).toEqual(['@scope/mid']);
    expect(patchedPackagePath('@scope+mid++leaf+1.0.0+001+fix.dev.patch')).toEqual(['@scope/mid', 'leaf']);
    expect(patchedPackagePath('@types/node:20.1.0.patch')).toEqual(['@types/node']);
    expect(patchedPackagePath('notes.patch')).toBeUndefined();
  });

  test('editing a patch changes the closure hash of the packages that reach the patched one, and of no others', () => {
    const before = tree({ '@scope+mid++leaf+1.0.0.patch': 'one' });
    const after = tree({ '@scope+mid++leaf+1.0.0.patch': 'two' });
    const unpatched = tree({});
    expect(envOf(before, 'app-a').patches).toEqual([
      'leaf@1.0.0: patch-package patches/@scope+mid++leaf+1.0.0.patch',
    ]);
    expect(envOf(after, 'app-a').closureHash).not.toBe(envOf(before, 'app-a').closureHash);
    expect(envOf(unpatched, 'app-a').closureHash).not.toBe(envOf(before, 'app-a').closureHash);
    expect(envOf(after, 'app-b').closureHash).toBe(envOf(before, 'app-b').closureHash);
  });

  test('a patch for a copy the closure does not load does not count', () => {
    // `leaf+1.0.0.patch` targets node_modules/leaf, which is not installed; the closure loads the nested copy.
    expect(envOf(tree({ 'leaf+1.0.0.patch': 'x' }), 'app-a').patches).toEqual([]);
  });
});

describe('real installs', () => {
  const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

  /** The lockfile entries this repository itself installed, so an offline install finds them in the store. */
  function storedPackage(name: string): { version: string; integrity: string } {
    const lock = readFileSync(join(repoRoot, 'pnpm-lock.yaml'), 'utf8');
    const entry = new RegExp(`^  ${name}@([^:(]+):\\n    resolution: \\{integrity: (\\S+)\\}`, 'm').exec(
      lock,
    );
    if (!entry) throw new Error(`${name} is not in the repository's lockfile`);
    return { version: entry[1]!, integrity: entry[2]! };
  }

  const pnpm = (cwd: string, ...args: string[]) => run('npx', ['-y', 'pnpm@10', ...args], { cwd });

  test('pnpm: p-limit reaches yocto-queue; patching yocto-queue changes p-limit, editing the patch changes it again', async () => {
    const pLimit = storedPackage('p-limit');
    const queue = storedPackage('yocto-queue');
    const lockfile = (patchHash?: string) => {
      const queueRef = patchHash ? `${queue.version}(patch_hash=${patchHash})` : queue.version;
      return [
        "lockfileVersion: '9.0'",
        '',
        'importers:',
        '  .:',
        '    dependencies:',
        '      p-limit:',
        `        specifier: ${pLimit.version}`,
        `        version: ${pLimit.version}`,
        '',
        'packages:',
        `  p-limit@${pLimit.version}:`,
        `    resolution: {integrity: ${pLimit.integrity}}`,
        `  yocto-queue@${queue.version}:`,
        `    resolution: {integrity: ${queue.integrity}}`,
        '',
        'snapshots:',
        `  p-limit@${pLimit.version}:`,
        '    dependencies:',
        `      yocto-queue: ${queueRef}`,
        `  yocto-queue@${queueRef}: {}`,
        '',
      ].join('\n');
    };
    const install = async (patch?: string) => {
      const dir = project({ 'pnpm-lock.yaml': lockfile() });
      const manifest = { name: 'app', version: '0.0.0', dependencies: { 'p-limit': pLimit.version } };
      if (patch !== undefined) {
        write(dir, 'patches/yocto-queue.patch', patch);
        write(
          dir,
          'pnpm-workspace.yaml',
          `patchedDependencies:\n  yocto-queue@${queue.version}: patches/yocto-queue.patch\n`,
        );
      }
      write(dir, 'package.json', JSON.stringify(manifest));
      // Not frozen (pnpm freezes the lockfile when CI is set): the lockfile is written without the
      // patch and pnpm adds the patch's hash itself.
      await pnpm(dir, 'install', '--offline', '--no-frozen-lockfile');
      return envOf(dir, 'p-limit');
    };
    const patchText = (line: string) =>
      `diff --git a/index.js b/index.js\n--- a/index.js\n+++ b/index.js\n@@ -1 +1,2 @@\n+// ${line}\n /*\n`;
    const [plain, first, edited] = await Promise.all([
      install(),
      install(patchText('one')),
      install(patchText('two')),
    ]);
    expect(plain.closure).toEqual([`yocto-queue@${queue.version}`]);
    expect(plain.patches).toEqual([]);
    expect(first.patches).toEqual([
      expect.stringMatching(new RegExp(`^yocto-queue@${queue.version}: pnpm patch [0-9a-f]{64}$`)),
      `yocto-queue@${queue.version}: pnpm patchedDependencies patches/yocto-queue.patch`,
    ]);
    expect(new Set([plain.closureHash, first.closureHash, edited.closureHash]).size).toBe(3);
  });

  test('npm: a transitive upgrade installed from tarballs changes the closure hash', async () => {
    const packed = project();
    const tarball = async (manifest: Manifest) => {
      const source = join(packed, `${manifest.name}-${manifest.version}`);
      write(source, 'package.json', JSON.stringify(manifest));
      write(source, 'index.js', 'module.exports = 1;\n');
      const { stdout } = await run('npm', ['pack', '--silent', source], { cwd: packed });
      return join(packed, stdout.trim());
    };
    const mid = await tarball(pkg('mid', '1.0.0', { dependencies: { leaf: '^1.0.0' } }));
    const install = async (leafVersion: string) => {
      const dir = project();
      const leaf = await tarball(pkg('leaf', leafVersion));
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', leaf, mid], { cwd: dir });
      return envOf(dir, 'mid');
    };
    const before = await install('1.0.0');
    const after = await install('1.2.0');
    expect(before.closure).toEqual(['leaf@1.0.0']);
    expect(after.closure).toEqual(['leaf@1.2.0']);
    expect(after.closureHash).not.toBe(before.closureHash);
  });
});
