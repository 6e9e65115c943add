import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** tsx's ESM loader, as a file URL for `node --import`. */
export const tsxLoader = pathToFileURL(require.resolve('tsx/esm')).href;

/** The core package's source entry, for fixture modules that live outside the workspace. */
export const coreEntry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

export interface ScratchProject {
  dir: string;
  write(path: string, text: string): void;
  /** Copies the whole project to a fresh directory elsewhere. */
  copy(): ScratchProject;
  /** Runs a module of the project in a fresh Node process under tsx; resolves with its stdout. */
  run(entry: string, env?: Record<string, string>): Promise<string>;
  /** Runs an entry that prints one JSON line per result; resolves with the parsed lines. */
  runJson<T = any>(entry: string, env?: Record<string, string>): Promise<T[]>;
  dispose(): void;
}

/** A scratch project directory (ESM) with the given files; removed by `dispose()`. */
export function scratchProject(files: Record<string, string>, prefix = 'memoflow-'): ScratchProject {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const project: ScratchProject = {
    dir,
    write(path: string, text: string) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    copy() {
      const copy = scratchProject({}, prefix);
      cpSync(dir, copy.dir, { recursive: true });
      return copy;
    },
    async run(entry, env = {}) {
      const { stdout } = await run(
        process.execPath,
        ['--conditions=memoflow-source', '--import', tsxLoader, entry],
        {
          cwd: dir,
          env: { ...process.env, ...env },
        },
      );
      return stdout;
    },
    async runJson(entry, env = {}) {
      const stdout = await project.run(entry, env);
      return stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  project.write('package.json', JSON.stringify({ type: 'module' }));
  for (const [path, text] of Object.entries(files)) project.write(path, text);
  return project;
}

/** The files of an npm package `fake-units` at `version`, installed in a scratch project's node_modules. */
export const fakePackage = (version: string): Record<string, string> => ({
  'node_modules/fake-units/package.json': JSON.stringify({
    name: 'fake-units',
    version,
    type: 'module',
    exports: './index.js',
  }),
  'node_modules/fake-units/index.js': 'export const toMeters = (feet) => feet * 0.3048;\n',
});
