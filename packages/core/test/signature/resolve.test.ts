import { execFile } from 'node:child_process';
import { lstatSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { resolveSpecifier } from '../../src/signature/code/resolve.ts';
import { readRuntime } from '../../src/signature/code/resolve-runtime.ts';
import { type ScratchProject, scratchProject } from '../support/processes.ts';

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const resolveModule = pathToFileURL(
  fileURLToPath(new URL('../../src/signature/code/resolve.ts', import.meta.url)),
);

const projects: ScratchProject[] = [];
afterAll(() => {
  for (const project of projects) project.dispose();
});

/** A scratch project; `at(path)` is a file's real path, as the resolver reports files. */
function layout(files: Record<string, string>) {
  const project = scratchProject(files, 'memoflow-resolve-');
  projects.push(project);
  const root = realpathSync(project.dir);
  return { ...project, root, at: (path: string) => join(root, ...path.split('/')) };
}

const json = (value: unknown) => JSON.stringify(value);

describe('relative files', () => {
  const p = layout({
    'src/main.ts': '',
    'src/plain.js': '',
    'src/rate.ts': '',
    'src/both.ts': '',
    'src/both.js': '',
    'src/view.tsx': '',
    'src/esm.mts': '',
    'src/common.cts': '',
    'src/legacy.cjs': '',
    'src/native.mjs': '',
    'src/data.json': '{"rate": 2}',
    'src/units/index.ts': '',
    'src/units/metric/index.ts': '',
  });

  test.each([
    // A `.js` specifier in a TS file loads the TS file, as tsc NodeNext and tsx do.
    ['src/main.ts', './rate.js', 'src/rate.ts'],
    ['src/main.ts', './view.js', 'src/view.tsx'],
    ['src/main.ts', './view.jsx', 'src/view.tsx'],
    ['src/main.ts', './esm.mjs', 'src/esm.mts'],
    ['src/main.ts', './common.cjs', 'src/common.cts'],
    // With both x.ts and x.js, a TS file loads x.ts and a JS file x.js (tsx's order).
    ['src/main.ts', './both.js', 'src/both.ts'],
    ['src/plain.js', './both.js', 'src/both.js'],
    ['src/plain.js', './rate.js', 'src/rate.ts'],
    // Extensionless files and directory index files, as tsx allows them.
    ['src/main.ts', './rate', 'src/rate.ts'],
    ['src/main.ts', './units', 'src/units/index.ts'],
    ['src/units/metric/index.ts', '..', 'src/units/index.ts'],
    ['src/units/index.ts', '../rate.ts', 'src/rate.ts'],
    // JSON and explicit extensions.
    ['src/main.ts', './data.json', 'src/data.json'],
    ['src/main.ts', './legacy.cjs', 'src/legacy.cjs'],
    ['src/main.ts', './native.mjs', 'src/native.mjs'],
    ['src/main.ts', './common.cts', 'src/common.cts'],
    ['src/main.ts', './esm.mts', 'src/esm.mts'],
  ])('%s: `%s` is the source file %s', (from, specifier, file) => {
    expect(resolveSpecifier(specifier, p.at(from))).toEqual({ kind: 'source', file: p.at(file) });
  });
});

describe('tsconfig and package.json imports', () => {
  test('tsconfig `paths` with `baseUrl`, and without it (relative to the tsconfig)', () => {
    const p = layout({
      'web/tsconfig.json': json({ compilerOptions: { baseUrl: '.', paths: { '@/lib/*': ['src/lib/*'] } } }),
      'web/src/main.ts': '',
      'web/src/lib/rate.ts': '',
      // A tsconfig may hold comments and trailing commas.
      'api/tsconfig.json':
        '{\n  // aliases\n  "compilerOptions": { "paths": { "~/*": ["./src/*"], }, },\n}\n',
      'api/src/main.ts': '',
      'api/src/db/index.ts': '',
    });
    const rate = { kind: 'source', file: p.at('web/src/lib/rate.ts') };
    expect(resolveSpecifier('@/lib/rate', p.at('web/src/main.ts'))).toEqual(rate);
    expect(resolveSpecifier('@/lib/rate.js', p.at('web/src/main.ts'))).toEqual(rate);
    expect(resolveSpecifier('~/db', p.at('api/src/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('api/src/db/index.ts'),
    });
    // Each file gets its own nearest tsconfig's aliases, not another's.
    expect(resolveSpecifier('~/db', p.at('web/src/main.ts')).kind).toBe('unresolved');
  });

  test('tsconfig `extends` brings the base config`s `paths`, relative to the base', () => {
    const p = layout({
      'tsconfig.base.json': json({ compilerOptions: { paths: { '@shared/*': ['./shared/*'] } } }),
      'shared/format.ts': '',
      'apps/web/tsconfig.json': json({
        extends: '../../tsconfig.base.json',
        compilerOptions: { strict: true },
      }),
      'apps/web/src/main.ts': '',
    });
    expect(resolveSpecifier('@shared/format.js', p.at('apps/web/src/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('shared/format.ts'),
    });
  });

  test('package.json `imports` (`#lib/*`), conditions included', () => {
    const p = layout({
      'package.json': json({
        name: 'app',
        type: 'module',
        imports: {
          '#lib/*': './src/lib/*.ts',
          '#config': { 'memoflow-source': './src/config.ts', default: './dist/config.js' },
        },
      }),
      'src/main.ts': '',
      'src/lib/rate.ts': '',
      'src/config.ts': '',
    });
    expect(resolveSpecifier('#lib/rate', p.at('src/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('src/lib/rate.ts'),
    });
    // This process runs with `--conditions memoflow-source` (vitest.config.ts), so that branch is taken.
    expect(resolveSpecifier('#config', p.at('src/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('src/config.ts'),
    });
  });
});

const lib = {
  'packages/lib/package.json': json({
    name: '@acme/lib',
    version: '1.0.0',
    type: 'module',
    exports: {
      '.': { 'memoflow-source': './src/index.ts', default: './dist/index.js' },
      './util': { 'memoflow-source': './src/util.ts', default: './dist/util.js' },
    },
  }),
  'packages/lib/src/index.ts': 'export const lib = "src";\n',
  'packages/lib/src/util.ts': 'export const util = "src";\n',
  'packages/lib/dist/index.js': 'export const lib = "dist";\n',
  'packages/lib/dist/util.js': 'export const util = "dist";\n',
};

describe('workspace packages and file: dependencies are project source', () => {
  test('a pnpm `workspace:*` package, linked by a real pnpm install, resolves to its source file', async () => {
    const p = layout({
      ...lib,
      'package.json': json({ name: 'ws', private: true }),
      'pnpm-workspace.yaml': 'packages:\n  - packages/*\n',
      'packages/app/package.json': json({
        name: 'app',
        type: 'module',
        dependencies: { '@acme/lib': 'workspace:*' },
      }),
      'packages/app/src/main.ts': '',
    });
    await run('npx', ['-y', 'pnpm@10', 'install', '--offline'], { cwd: p.root });
    expect(lstatSync(p.at('packages/app/node_modules/@acme/lib')).isSymbolicLink()).toBe(true);
    const main = p.at('packages/app/src/main.ts');
    expect(resolveSpecifier('@acme/lib', main)).toEqual({
      kind: 'source',
      file: p.at('packages/lib/src/index.ts'),
    });
    expect(resolveSpecifier('@acme/lib/util', main)).toEqual({
      kind: 'source',
      file: p.at('packages/lib/src/util.ts'),
    });
  }, 120_000);

  test('an npm `file:` dependency (npm links it) is source; the same package installed from a tarball is a package', async () => {
    const p = layout({
      'lib/package.json': json({ name: 'lib', version: '1.0.0', main: 'index.js' }),
      'lib/index.js': 'exports.x = 1;\n',
      'linked/package.json': json({ name: 'linked', version: '1.0.0' }),
      'linked/main.js': '',
      'packed/package.json': json({ name: 'packed', version: '1.0.0' }),
      'packed/main.js': '',
    });
    const offline = ['--no-audit', '--no-fund', '--offline'];
    await run('npm', ['install', '../lib', ...offline], { cwd: p.at('linked') });
    const { stdout: tarball } = await run('npm', ['pack', '--silent'], { cwd: p.at('lib') });
    await run('npm', ['install', `../lib/${tarball.trim()}`, ...offline], { cwd: p.at('packed') });

    expect(lstatSync(p.at('linked/node_modules/lib')).isSymbolicLink()).toBe(true);
    expect(resolveSpecifier('lib', p.at('linked/main.js'), 'require')).toEqual({
      kind: 'source',
      file: p.at('lib/index.js'),
    });
    expect(resolveSpecifier('lib', p.at('packed/main.js'), 'require')).toEqual({
      kind: 'package',
      name: 'lib',
      dir: p.at('packed/node_modules/lib'),
      file: p.at('packed/node_modules/lib/index.js'),
    });
  }, 120_000);

  test('a hand-made link into node_modules is followed to its real path', () => {
    const p = layout({ ...lib, 'app/main.ts': '' });
    layoutLink(p.at('packages/lib'), p.at('app/node_modules/@acme/lib'));
    expect(resolveSpecifier('@acme/lib', p.at('app/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('packages/lib/src/index.ts'),
    });
  });
});

function layoutLink(target: string, link: string) {
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link, 'dir');
}

describe('installed packages', () => {
  const core = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

  test('a package installed in this repository is a package, named by its package.json, at its real root', () => {
    const resolved = resolveSpecifier('p-limit', core);
    expect(resolved).toMatchObject({ kind: 'package', name: 'p-limit' });
    if (resolved.kind !== 'package') return;
    expect(resolved.dir).toBe(realpathSync(resolved.dir));
    expect(resolved.dir.endsWith(join('node_modules', 'p-limit'))).toBe(true);
    expect(resolved.file?.startsWith(resolved.dir)).toBe(true);
    expect(resolveSpecifier('@jridgewell/trace-mapping', core)).toMatchObject({
      kind: 'package',
      name: '@jridgewell/trace-mapping',
    });
  });

  test('scoped packages, deep imports, `exports` per import kind, nested package.json files', () => {
    const p = layout({
      'main.ts': '',
      'node_modules/@scope/pkg/package.json': json({
        name: '@scope/pkg',
        exports: {
          '.': './index.js',
          './sub': { require: './sub.cjs', import: './sub.mjs' },
          './esm': './dist/esm/index.js',
        },
      }),
      'node_modules/@scope/pkg/index.js': '',
      'node_modules/@scope/pkg/sub.mjs': '',
      'node_modules/@scope/pkg/sub.cjs': '',
      'node_modules/@scope/pkg/hidden.js': '',
      'node_modules/@scope/pkg/dist/esm/package.json': json({ type: 'module' }),
      'node_modules/@scope/pkg/dist/esm/index.js': '',
      'node_modules/legacy/package.json': json({ name: 'legacy', main: './lib/main.js' }),
      'node_modules/legacy/lib/main.js': '',
      'node_modules/legacy/lib/extra.js': '',
    });
    const main = p.at('main.ts');
    const pkg = (file: string) => ({
      kind: 'package',
      name: '@scope/pkg',
      dir: p.at('node_modules/@scope/pkg'),
      file: p.at(file),
    });
    expect(resolveSpecifier('@scope/pkg', main)).toEqual(pkg('node_modules/@scope/pkg/index.js'));
    expect(resolveSpecifier('@scope/pkg/sub', main)).toEqual(pkg('node_modules/@scope/pkg/sub.mjs'));
    expect(resolveSpecifier('@scope/pkg/sub', main, 'require')).toEqual(
      pkg('node_modules/@scope/pkg/sub.cjs'),
    );
    expect(resolveSpecifier('@scope/pkg/esm', main)).toEqual(
      pkg('node_modules/@scope/pkg/dist/esm/index.js'),
    );
    expect(resolveSpecifier('legacy', main)).toMatchObject({
      kind: 'package',
      name: 'legacy',
      dir: p.at('node_modules/legacy'),
    });
    expect(resolveSpecifier('legacy/lib/extra', main)).toMatchObject({
      file: p.at('node_modules/legacy/lib/extra.js'),
    });

    const hidden = resolveSpecifier('@scope/pkg/hidden.js', main);
    expect(hidden).toMatchObject({ kind: 'unresolved', specifier: '@scope/pkg/hidden.js' });
    expect(hidden.kind === 'unresolved' && hidden.reason).toMatch(/not exported under the conditions/);
  });
});

describe('builtins and failures', () => {
  test('builtins with and without `node:` are the same module', () => {
    const p = layout({ 'main.ts': '' });
    const from = (specifier: string) => resolveSpecifier(specifier, p.at('main.ts'));
    expect(from('fs')).toEqual({ kind: 'builtin', name: 'node:fs' });
    expect(from('node:fs')).toEqual({ kind: 'builtin', name: 'node:fs' });
    expect(from('fs/promises')).toEqual({ kind: 'builtin', name: 'node:fs/promises' });
    expect(from('node:test')).toEqual({ kind: 'builtin', name: 'node:test' });
    expect(from('node:nope')).toMatchObject({
      kind: 'unresolved',
      reason: expect.stringContaining('no such builtin'),
    });
  });

  test('an unresolvable specifier is unresolved, with a reason naming the specifier and the importing file', () => {
    const p = layout({ 'src/main.ts': '' });
    const main = p.at('src/main.ts');
    for (const specifier of ['./missing.js', 'missing-package', '@/missing', '#missing']) {
      const resolved = resolveSpecifier(specifier, main);
      expect(resolved).toMatchObject({ kind: 'unresolved', specifier });
      if (resolved.kind !== 'unresolved') continue;
      expect(resolved.reason).toContain(`\`${specifier}\``);
      expect(resolved.reason).toContain(main);
    }
    expect(() => resolveSpecifier('./rate.js', 'src/main.ts')).toThrow(/`fromFile` to be an absolute path/);
  });
});

describe('the running process', () => {
  test('conditions come from --conditions, -C and NODE_OPTIONS, after Node`s defaults', () => {
    const runtime = readRuntime(['--conditions', 'a', '-C', 'b', '--conditions=c'], '-C d "--conditions=e"');
    expect(runtime.importConditions.slice(0, 2)).toEqual(['node', 'import']);
    expect(runtime.requireConditions.slice(0, 2)).toEqual(['require', 'node']);
    for (const condition of ['a', 'b', 'c', 'd', 'e']) expect(runtime.importConditions).toContain(condition);
    expect(readRuntime(['--no-addons'], undefined).importConditions).not.toContain('node-addons');
    expect(readRuntime(['--import', tsx], undefined).underTsx).toBe(true);
    // vitest's own path names tsx in a folder name; that is not tsx loaded.
    expect(
      readRuntime(['--require', '/x/vitest@4_tsx@4.2_/node_modules/vitest/suppress-warnings.cjs'], undefined)
        .underTsx,
    ).toBe(false);
  });

  /** Runs `main.ts` of `p` under tsx in a fresh process; it prints, for each specifier, what Node loaded and what we resolve. */
  async function compareInChild(
    p: ReturnType<typeof layout>,
    entry: string,
    specifiers: string[],
    flags: string[],
  ) {
    p.write(
      entry,
      `import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolveSpecifier } from ${json(resolveModule.href)};
const here = fileURLToPath(import.meta.url);
const require = createRequire(import.meta.url);
const rows = [];
for (const specifier of ${json(specifiers)}) {
  rows.push({ specifier, kind: 'import', loaded: fileURLToPath(import.meta.resolve(specifier)), ours: resolveSpecifier(specifier, here) });
  rows.push({ specifier, kind: 'require', loaded: require.resolve(specifier), ours: resolveSpecifier(specifier, here, 'require') });
}
console.log(JSON.stringify(rows));
`,
    );
    const { stdout } = await run(process.execPath, [...flags, '--import', tsx, p.at(entry)], { cwd: p.root });
    const rows = JSON.parse(stdout) as {
      specifier: string;
      kind: string;
      loaded: string;
      ours: { file?: string };
    }[];
    return rows.map((row) => ({
      specifier: row.specifier,
      kind: row.kind,
      loaded: row.loaded,
      ours: row.ours.file,
    }));
  }

  test('under tsx, `paths` come from the tsconfig tsx reads (the working directory`s), as tsx loads them', async () => {
    const p = layout({
      'tsconfig.json': json({ compilerOptions: { paths: { '@/*': ['./a/*'] } } }),
      'a/x.ts': '',
      'pkg/tsconfig.json': json({ compilerOptions: { paths: { '@/*': ['./b/*'] } } }),
      'pkg/b/x.ts': '',
    });
    const rows = await compareInChild(p, 'pkg/main.ts', ['@/x'], []);
    for (const row of rows) expect(row.ours, row.kind).toBe(p.at('a/x.ts'));
    for (const row of rows) expect(row.loaded, row.kind).toBe(p.at('a/x.ts'));
    // Outside tsx (vitest, vite, tsc) the file's nearest tsconfig applies.
    expect(resolveSpecifier('@/x', p.at('pkg/main.ts'))).toEqual({
      kind: 'source',
      file: p.at('pkg/b/x.ts'),
    });
  }, 60_000);

  test.each([[['--conditions=memoflow-source']], [[]]])(
    'with flags %j, every specifier resolves to the file Node loads',
    async (flags) => {
      const p = layout({
        ...lib,
        'app/package.json': json({
          name: 'app',
          type: 'module',
          imports: { '#units/*': './src/units/*.ts' },
        }),
        'app/src/rate.ts': '',
        'app/src/units/meter.ts': '',
        'app/src/units/index.ts': '',
        'app/src/data.json': '{}',
      });
      layoutLink(p.at('packages/lib'), p.at('app/node_modules/@acme/lib'));
      const specifiers = [
        './rate.js',
        './rate',
        './units',
        './data.json',
        '#units/meter',
        '@acme/lib',
        '@acme/lib/util',
      ];
      const rows = await compareInChild(p, 'app/src/main.ts', specifiers, flags);
      expect(rows.map((row) => ({ ...row, ours: row.loaded }))).toEqual(rows);
      const entry = rows.find((row) => row.specifier === '@acme/lib')!;
      expect(entry.loaded).toBe(
        p.at(flags.length ? 'packages/lib/src/index.ts' : 'packages/lib/dist/index.js'),
      );
    },
    60_000,
  );
});
