import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash } from '../../_hash.ts';
import type { StaticCode } from './hasher.ts';
import type { ParamInfo } from './params.ts';
import { resolveSpecifier } from './resolve.ts';

let analyzerVersion: string | undefined;

/**
 * The analyzer's own code, hashed: an analysis stored by another version of memoflow (or of this
 * folder, during development) is never read. Costs one read of this folder per process.
 */
function version(): string {
  if (analyzerVersion === undefined) {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const sources = readdirSync(dir)
      .filter((name) => /\.[cm]?[jt]s$/.test(name))
      .sort()
      .map((name) => `${name}\0${readFileSync(join(dir, name), 'utf8')}`);
    analyzerVersion = hash(`memoflow-analysis\0${sources.join('\0')}`);
  }
  return analyzerVersion;
}

/** One specifier resolution an analysis relied on: re-resolved to check the analysis still holds. */
export type Resolution = [specifier: string, fromFile: string, kind: 'import' | 'require', result: string];

/** A function's static code analysis as stored between processes. */
export interface CachedAnalysis {
  code: StaticCode;
  resolutions: Resolution[];
  /** Offset of the function's node in its file, its parameters and whether it reads `this`. */
  start: number;
  /** 1-based line of the function, for messages. */
  line: number;
  params: ParamInfo[];
  usesThis: boolean;
  declaredName?: string;
}

interface StoredAnalysis extends Omit<CachedAnalysis, 'code'> {
  version: string;
  code: Omit<StaticCode, 'packages'> & { packages: [string, { fromFile: string; dir?: string }][] };
}

/** The text of a resolution result, as compared on a later read. */
export function resolutionText(specifier: string, fromFile: string, kind: 'import' | 'require'): string {
  return JSON.stringify(resolveSpecifier(specifier, fromFile, kind));
}

/**
 * The folder where analyses are kept: `node_modules/.cache/memoflow/analysis` of the nearest
 * `node_modules` above the file (where build tools keep their caches), else a folder in the OS temp dir.
 */
function cacheDir(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      readFileSync(join(dir, 'package.json'));
      return join(dir, 'node_modules', '.cache', 'memoflow', 'analysis');
    } catch {
      // No package.json here: look one folder up.
    }
    if (dirname(dir) === dir) return join(tmpdir(), 'memoflow-analysis');
  }
}

const disabled = () => process.env.MEMOFLOW_ANALYSIS_CACHE === '0';

function entryPath(file: string, offset: number, depth: number): string {
  return join(
    cacheDir(file),
    `${hash(`${version()}\0${file}\0${offset}\0${depth}`).slice(0, 32)}.json`,
  );
}

/**
 * The analysis a previous process stored for the function at `file`:`offset`, if every file it
 * read still has the same content and every import still resolves to the same place.
 */
export function readAnalysis(file: string, offset: number, depth: number): CachedAnalysis | undefined {
  if (disabled()) return undefined;
  let stored: StoredAnalysis;
  try {
    stored = JSON.parse(readFileSync(entryPath(file, offset, depth), 'utf8'));
  } catch {
    return undefined;
  }
  if (stored.version !== version()) return undefined;
  for (const [path, digest] of Object.entries(stored.code.files)) {
    try {
      if (hash(readFileSync(path, 'utf8')) !== digest) return undefined;
    } catch {
      return undefined;
    }
  }
  for (const [specifier, fromFile, kind, result] of stored.resolutions) {
    if (resolutionText(specifier, fromFile, kind) !== result) return undefined;
  }
  return { ...stored, code: { ...stored.code, packages: new Map(stored.code.packages) } };
}

/** Stores an analysis for later processes; a failure to write only costs the next process a parse. */
export function writeAnalysis(file: string, offset: number, depth: number, analysis: CachedAnalysis): void {
  if (disabled()) return;
  const path = entryPath(file, offset, depth);
  const stored: StoredAnalysis = {
    ...analysis,
    version: version(),
    code: { ...analysis.code, packages: [...analysis.code.packages] },
  };
  // Written under a name of this process's own, then renamed: concurrent processes never read half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, JSON.stringify(stored));
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
  }
}
