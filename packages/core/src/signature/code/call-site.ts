import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where in the user's source a call was made: 1-based line and column, as stack traces give them. */
export interface CallSite {
  file: string;
  line: number;
  column: number;
}

const FRAME = /^\s*at (?:.*? \()?(.*):(\d+):(\d+)\)?$/;

/**
 * The location of the code that called `callee`. Stack traces are source-mapped by the TS
 * loaders users run (tsx, vitest), so this is the `.ts` file and line even when the function's
 * `toString()` is the loader's re-printed output. Undefined for eval'd code and REPL input.
 */
export function captureCallSite(callee: Function): CallSite | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  try {
    Error.captureStackTrace(holder, callee);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const frame = holder.stack?.split('\n')[1];
  const match = frame && FRAME.exec(frame);
  if (!match) return undefined;
  let file = match[1]!;
  if (file.startsWith('file://')) file = fileURLToPath(file);
  if (!isAbsolute(file)) return undefined;
  return { file, line: Number(match[2]), column: Number(match[3]) };
}

const RUNTIME_EXTENSION = /\.([cm]?)js$/;
const TRY_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.jsx'];

/**
 * The file a relative specifier names, as TypeScript resolves it: `./x.js` may be `./x.ts`, an
 * extensionless `./x` may be `./x.ts` or `./x/index.ts`. Undefined when there is no such file.
 */
export function resolveRelative(specifier: string, fromFile: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base];
  const runtime = RUNTIME_EXTENSION.exec(base);
  if (runtime) {
    const stem = base.slice(0, -runtime[0].length);
    candidates.push(`${stem}.${runtime[1]}ts`, `${stem}.${runtime[1]}tsx`);
  }
  for (const extension of TRY_EXTENSIONS) candidates.push(base + extension);
  for (const extension of TRY_EXTENSIONS) candidates.push(`${base}/index${extension}`);
  return candidates.find(isFile);
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** `@scope/pkg/sub` → `@scope/pkg`; `lodash/fp` → `lodash`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export const isRelative = (specifier: string): boolean =>
  specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
