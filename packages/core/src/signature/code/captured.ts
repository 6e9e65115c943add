import { CapturedVariableError, MemoflowError } from '../../errors.ts';
import { hash } from '../../util/index.ts';
import { hashValue } from '../inputs/hash-inputs.ts';

/**
 * The hash of a value a function's closure captures (or a bound function's `this` and
 * arguments): functions by their own code analysis, other values as inputs are hashed. A value
 * that cannot be hashed is refused with CAPTURED_VARIABLE naming the variable and the fix.
 */
export function hashCaptured(
  fn: Function,
  name: string,
  value: unknown,
  codeHashOf: (fn: Function) => string,
): string {
  if (typeof value === 'function') return hash(`function:${codeHashOf(value)}`);
  if (Array.isArray(value) && value.some((item) => typeof item === 'function')) {
    return hash(value.map((item) => hashCaptured(fn, name, item, codeHashOf)).join(','));
  }
  try {
    return hashValue(value, fn.name || 'anonymous', name);
  } catch (error) {
    if (!(error instanceof MemoflowError)) throw error;
    const node = fn.name || 'anonymous';
    throw new CapturedVariableError(
      node,
      [name],
      `Cannot memoize \`${node}\`: it reads \`${name}\` from an enclosing function, and that value cannot be hashed (${error.message}). Pass a hashable stand-in through \`captures: { ${name}: … }\`, or make it an argument.`,
    );
  }
}
