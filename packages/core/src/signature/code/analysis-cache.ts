import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash } from '../../util/index.ts';
import type { ParamInfo } from './params.ts';
import { packageRoot } from './project-paths.ts';
import { resolveSpecifier } from './resolve.ts';
import type { Resolution, StaticCode } from './types.ts';

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
  const root = packageRoot(file);
  return root
    ? join(root, 'node_modules', '.cache', 'memoflow', 'analysis')
    : join(tmpdir(), 'memoflow-analysis');
}

const disabled = () => process.env.MEMOFLOW_ANALYSIS_CACHE === '0';

function entryPath(file: string, key: string): string {
  return join(cacheDir(file), `${hash(`${version()}\0${file}\0${key}`).slice(0, 32)}.json`);
}

/** The stored entry at `key` for `file`, when this version of the analyzer wrote it and every file it read is unchanged. */
function readEntry<T extends { version: string; files: Record<string, string> }>(
  file: string,
  key: string,
): T | undefined {
  if (disabled()) return undefined;
  let stored: T;
  try {
    stored = JSON.parse(readFileSync(entryPath(file, key), 'utf8'));
  } catch {
    return undefined;
  }
  if (stored.version !== version()) return undefined;
  for (const [path, digest] of Object.entries(stored.files)) {
    try {
      if (hash(readFileSync(path, 'utf8')) !== digest) return undefined;
    } catch {
      return undefined;
    }
  }
  return stored;
}

/** Stores an entry for later processes; a failure to write only costs the next process a parse. */
function writeEntry(file: string, key: string, entry: object): void {
  if (disabled()) return;
  const path = entryPath(file, key);
  // Written under a name of this process's own, then renamed: concurrent processes never read half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, JSON.stringify({ ...entry, version: version() }));
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/**
 * The analysis a previous process stored for the function at `file`:`offset`, if every file it
 * read still has the same content and every import still resolves to the same place.
 */
export function readAnalysis(file: string, offset: number, depth: number): CachedAnalysis | undefined {
  const stored = readEntry<StoredAnalysis & { files: Record<string, string> }>(file, `${offset}\0${depth}`);
  if (!stored) return undefined;
  for (const [specifier, fromFile, kind, result] of stored.resolutions) {
    if (resolutionText(specifier, fromFile, kind) !== result) return undefined;
  }
  return { ...stored, code: { ...stored.code, packages: new Map(stored.code.packages) } };
}

/** Stores an analysis for later processes. */
export function writeAnalysis(file: string, offset: number, depth: number, analysis: CachedAnalysis): void {
  const code = { ...analysis.code, packages: [...analysis.code.packages] };
  writeEntry(file, `${offset}\0${depth}`, { ...analysis, code, files: analysis.code.files });
}

/** The name declared at a `func()` call site (`const square = func(…)`), as a previous process read it; null for none. */
export function readDeclaredName(file: string, line: number, column: number): string | null | undefined {
  return readEntry<{ version: string; files: Record<string, string>; name: string | null }>(
    file,
    `name\0${line}\0${column}`,
  )?.name;
}

export function writeDeclaredName(
  file: string,
  line: number,
  column: number,
  source: string,
  name: string | null,
): void {
  writeEntry(file, `name\0${line}\0${column}`, { files: { [file]: hash(source) }, name });
}
