import { isAbsolute } from 'node:path';
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
