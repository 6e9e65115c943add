/**
 * Imports a user's module: a pipeline, or memoflow.config.{ts,js}. JavaScript is imported as it
 * is. TypeScript needs tsx's hooks, registered before the first such import (Node remembers a
 * failed import of a URL, so registering after a failure cannot help) and for the whole process,
 * not in a namespace of their own: the module then shares the CLI's copy of @memoflow/core, and
 * its pipeline and nodes are the objects the CLI's Runner knows.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from './errors.ts';

/** The extensions tsx compiles. */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

let typescriptLoader: Promise<void> | undefined;

/** A module that does not parse: the file, the line and column (from 1), and the parser's message. */
export class ModuleSyntaxError extends UsageError {
  override readonly name = 'ModuleSyntaxError';
  override readonly code = 'MODULE_SYNTAX';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly parserMessage: string,
    options?: ErrorOptions,
  ) {
    super(`syntax error at ${shown(file)}:${line}:${column}: ${parserMessage}`, options);
  }
}

/** Imports `path`; a syntax error in it (or, for TypeScript, in a module it imports) is a ModuleSyntaxError. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.has(extname(path))) {
    typescriptLoader ??= registerTypeScript();
    await typescriptLoader;
  }
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw (await locateSyntaxError(error, path)) ?? error;
  }
}

async function registerTypeScript(): Promise<void> {
  // Only when no TypeScript loader is in place: there is one when this file is TypeScript itself
  // (the CLI from source, under tsx or vitest), or when TypeScript can be required (`node
  // --import tsx` registers tsx's CommonJS hooks too). A second would only add its start-up and
  // chain its hooks behind the first's.
  if (import.meta.url.endsWith('.ts') || createRequire(import.meta.url).extensions['.ts'] !== undefined)
    return;
  const { register } = await import('tsx/esm/api');
  register();
}

/**
 * Where a failed import failed to parse, if that is why it failed. Each parser says it its own way,
 * over several lines: esbuild (tsx) as `file:line:column: ERROR: message` in the message, with a
 * 0-based column in bytes; Node for CommonJS as `file:line`, the line, and a caret, in the stack;
 * Node for an ES module not at all, so the file is parsed again by `node --check`, which prints
 * what CommonJS does (only on this error path: it costs a process).
 */
async function locateSyntaxError(error: unknown, path: string): Promise<UsageError | undefined> {
  if (!(error instanceof Error)) return undefined;
  const esbuild = /^(.+):(\d+):(\d+): ERROR: (.+)$/m.exec(error.message);
  if (error.name === 'TransformError' && esbuild) {
    const [, file, line, byteColumn, message] = esbuild;
    const column = characterColumn(file!, Number(line), Number(byteColumn));
    return new ModuleSyntaxError(file!, Number(line), column, message!, { cause: error });
  }
  if (!(error instanceof SyntaxError)) return undefined;
  let located = caretLocation(error.stack ?? '');
  if (!located) {
    const check = await syntaxCheck(path);
    // `path` parses: an ES module it imports does not, and Node does not say which.
    if (check === '')
      return new UsageError(`syntax error in a module ${shown(path)} imports: ${error.message}`, {
        cause: error,
      });
    located = caretLocation(check);
  }
  if (!located) return undefined;
  return new ModuleSyntaxError(located.file, located.line, located.column, located.message, { cause: error });
}

/**
 * Node's report of a syntax error: `file:line` (or a file URL), the source line, a caret under the
 * column, a blank line, then `SyntaxError: message`.
 */
function caretLocation(text: string) {
  const lines = text.split('\n');
  const at = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  const caret = lines[2]?.indexOf('^') ?? -1;
  const error = lines.find((line) => line.startsWith('SyntaxError: '));
  if (!at || caret === -1 || !error) return undefined;
  const file = at[1]!.startsWith('file:') ? fileURLToPath(at[1]!) : at[1]!;
  return { file, line: Number(at[2]), column: caret + 1, message: error.slice('SyntaxError: '.length) };
}

/** What `node --check` prints about `path`: empty when it parses (the error is in a module it imports). */
function syntaxCheck(path: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--check', path], (failure, _stdout, stderr) =>
      resolve(failure ? stderr : ''),
    );
  });
}

/** esbuild counts a column in UTF-8 bytes from 0; editors and Node count characters from 1. */
function characterColumn(file: string, line: number, byteColumn: number): number {
  try {
    const text = readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
    return Buffer.from(text, 'utf8').subarray(0, byteColumn).toString('utf8').length + 1;
  } catch {
    return byteColumn + 1;
  }
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path === '' || path.startsWith('..') || isAbsolute(path) ? file : path;
}
