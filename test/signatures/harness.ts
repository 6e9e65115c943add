import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { check, describeFailure, type RunResult } from './check.ts';
import { corePackage, runTsc } from './core-package.ts';

const exec = promisify(execFile);
const require = createRequire(import.meta.url);

/** tsx's loader (ESM and CommonJS hooks), shared by every run. */
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;

import type { CallRecord, CaseProject, SignatureCase } from './types.ts';

export type { CallRecord, CaseProject, Edit, Expectation, SignatureCase } from './types.ts';

/**
 * The reporter every case's entry imports as `memo-case`: `report(name, memoized, args, self)`
 * prints the call's signature key and warnings, then calls it. A memoized body prints `computed`
 * when it runs; those lines belong to the next report.
 */
const reporterSource = `export async function report(call, fn, args = [], self) {
  const record = { call };
  try {
    const signature = await fn.signature.apply(self, args);
    record.key = signature.key;
    if (signature.warnings && signature.warnings.length > 0) record.warnings = signature.warnings;
    if (signature.cut !== undefined) record.cut = signature.cut;
    record.value = await fn.apply(self, args);
  } catch (error) {
    record.error = { name: error?.name, code: error?.code, message: String(error?.message ?? error) };
  }
  let line;
  try {
    line = JSON.stringify(record);
  } catch {
    line = JSON.stringify({ ...record, value: String(record.value) });
  }
  console.log('report:' + line);
}
`;

/** The line a memoized body runs to say it computed. */
export const MARK = "console.log('computed');";

/** A `main.ts` that imports `func`, `DiskCache` and `report`, with `cache` a DiskCache, then `body`. */
export function main(body: string): string {
  return `import { DiskCache, func } from '@memoflow/core';\nimport { report } from 'memo-case';\n\nconst cache = new DiskCache();\n${body.trim()}\n`;
}

let slots = 4;
const waiting: (() => void)[] = [];

/** At most four cases run at once: each run is a Node process, and CI has two cores. */
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  else slots--;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

/** Runs a case: two fresh processes around its edit (or one), then checks what it expects; throws a report of both runs when anything differs. */
export function runCase(signatureCase: SignatureCase): Promise<void> {
  return withSlot(() => runCaseNow(signatureCase));
}

async function runCaseNow(c: SignatureCase): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'memoflow-sig-'));
  const cacheDir = join(root, 'cache');
  let project = createProject(join(root, 'project'));
  const runs: RunResult[] = [];
  try {
    if (!('package.json' in c.files)) project.write('package.json', JSON.stringify({ type: 'module' }));
    for (const [path, text] of Object.entries(c.files)) project.write(path, text);
    await c.setup?.(project);
    // After the setup: installs prune packages their manifests do not list.
    linkSupport(project.dir);
    const env = { MEMOFLOW_CACHE_DIR: cacheDir, ...c.env };
    const entry = c.entry ?? 'main.ts';
    runs.push(await runEntry('first run', project.dir, entry, env, false));
    if (c.edit) {
      const edit = c.edit;
      if (edit.moveProject) {
        const moved = createProject(join(root, 'moved', 'elsewhere'));
        cpSync(project.dir, moved.dir, { recursive: true, verbatimSymlinks: true });
        project = moved;
      }
      for (const [path, change] of Object.entries(edit.files ?? {})) {
        if (change === null) rmSync(join(project.dir, path), { force: true });
        else project.write(path, typeof change === 'string' ? change : change(project.read(path)));
      }
      await edit.after?.(project);
      const secondEnv = { ...env, ...edit.env };
      runs.push(await runEntry('second run', project.dir, edit.entry ?? entry, secondEnv, !!edit.plainNode));
    }
    const problems = check(c, runs);
    if (problems.length > 0) throw new Error(describeFailure(c, runs, problems));
  } catch (error) {
    if (runs.length > 0 && !(error as Error).message.includes('--- first run')) {
      throw new Error(describeFailure(c, runs, [(error as Error).message]));
    }
    throw error;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function createProject(dir: string): CaseProject {
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    write(path, text) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    async exec(command, args) {
      const { stdout } = await exec(command, args, { cwd: dir, timeout: 60_000 });
      return stdout;
    },
    tsc: (args) => runTsc(dir, args),
    link(name, target) {
      const path = join(dir, 'node_modules', name);
      mkdirSync(dirname(path), { recursive: true });
      rmSync(path, { recursive: true, force: true });
      symlinkSync(target, path, 'dir');
    },
  };
}

function linkSupport(dir: string): void {
  mkdirSync(join(dir, 'node_modules', '@memoflow'), { recursive: true });
  const link = join(dir, 'node_modules', '@memoflow', 'core');
  rmSync(link, { recursive: true, force: true });
  symlinkSync(corePackage, link, 'dir');
  const reporter = join(dir, 'node_modules', 'memo-case');
  mkdirSync(reporter, { recursive: true });
  writeFileSync(
    join(reporter, 'package.json'),
    JSON.stringify({ name: 'memo-case', version: '1.0.0', type: 'module', exports: './index.js' }),
  );
  writeFileSync(join(reporter, 'index.js'), reporterSource);
}

async function runEntry(
  label: string,
  cwd: string,
  entry: string,
  env: Record<string, string>,
  plainNode: boolean,
): Promise<RunResult> {
  const args = plainNode ? [entry] : ['--conditions=memoflow-source', '--import', tsxLoader, entry];
  let stdout: string;
  let stderr: string;
  let exitCode = 0;
  try {
    ({ stdout, stderr } = await exec(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: 30_000,
    }));
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    stdout = failed.stdout ?? '';
    stderr = failed.stderr ?? String(error);
    exitCode = typeof failed.code === 'number' ? failed.code : 1;
  }
  return { label, stdout, stderr, exitCode, calls: parseCalls(stdout) };
}

function parseCalls(stdout: string): Map<string, CallRecord> {
  const calls = new Map<string, CallRecord>();
  let computed = false;
  for (const line of stdout.split('\n')) {
    if (line.trim() === 'computed') computed = true;
    else if (line.startsWith('report:')) {
      const record = { ...JSON.parse(line.slice('report:'.length)), computed } as CallRecord;
      calls.set(record.call, record);
      computed = false;
    }
  }
  return calls;
}
