/** The stable codes of every error memoflow throws; match on `error.code`, not on the message. */
export type MemoflowErrorCode =
  | 'UNHASHABLE_INPUT'
  | 'CYCLE'
  | 'MISSING_INPUT'
  | 'DUPLICATE_OUTPUT'
  | 'NODE_FAILED'
  | 'SERIALIZATION'
  | 'BACKEND'
  | 'CONFIG'
  | 'CAPTURED_VARIABLE'
  | 'SIGNATURE_MISMATCH';

/** Base class of every memoflow error. */
export class MemoflowError extends Error {
  constructor(
    readonly code: MemoflowErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument of a memoized call holds a value that has no content hash (a function, a promise, a cycle, …). */
export class UnhashableInputError extends MemoflowError {
  constructor(
    /** The function or node whose input could not be hashed. */
    readonly node: string,
    /** The argument's parameter name, or its position when the name is unknown. */
    readonly argument: string,
    /** Path to the bad value, e.g. `args[0].config.client`. */
    readonly path: string,
    message: string,
  ) {
    super('UNHASHABLE_INPUT', message);
  }
}

/** A memoized function reads a variable bound in an enclosing function or block, whose value its source does not show. */
export class CapturedVariableError extends MemoflowError {
  constructor(
    readonly node: string,
    /** The captured variable names. */
    readonly variables: readonly string[],
    message: string,
  ) {
    super('CAPTURED_VARIABLE', message);
  }
}

/** A value could not be stored so that it reads back the same. */
export class SerializationError extends MemoflowError {
  constructor(
    readonly node: string,
    /** Path to the value that would not round-trip, e.g. `result.model`. */
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('SERIALIZATION', message, options);
  }
}

/** A cache backend failed; the backend's own error is the `cause`. */
export class BackendError extends MemoflowError {
  constructor(
    readonly backend: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('BACKEND', message, options);
  }
}

/** An option or argument given to memoflow is invalid. */
export class ConfigError extends MemoflowError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIG', message, options);
  }
}

/** A memoized function or pipeline node threw; the user's error is the `cause`. */
export class NodeFailedError extends MemoflowError {
  /** The run's report, when a Runner run failed: what finished, what failed, what was skipped. */
  report?: import('./report/index.ts').RunReport;

  constructor(
    readonly node: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('NODE_FAILED', message, options);
  }
}

/**
 * A worker refused a node because the signature it derives differs from the run's: its code (or
 * its environment) is not the coordinator's. The result would not be the one the key promises,
 * so the node is not computed.
 */
export class SignatureMismatchError extends MemoflowError {
  constructor(
    readonly node: string,
    /** What differs between the worker and the run: `code`, `env`, `inputs`. */
    readonly differs: readonly string[],
    message: string,
  ) {
    super('SIGNATURE_MISMATCH', message);
  }
}

/** A pipeline's nodes depend on each other in a circle. */
export class CycleError extends MemoflowError {
  constructor(
    /** The nodes of the cycle in order; the first is repeated at the end: `['a', 'b', 'a']`. */
    readonly cycle: readonly string[],
    message: string,
  ) {
    super('CYCLE', message);
  }
}

/** Two nodes of a pipeline produce the same output name. */
export class DuplicateOutputError extends MemoflowError {
  constructor(
    readonly output: string,
    /** The nodes producing it (their function names or source locations). */
    readonly nodes: readonly string[],
    message: string,
  ) {
    super('DUPLICATE_OUTPUT', message);
  }
}

/** A run lacks external inputs some of the nodes it must run need. */
export class MissingInputError extends MemoflowError {
  constructor(
    /** Each missing input name → the nodes that need it. */
    readonly missing: Readonly<Record<string, readonly string[]>>,
    message: string,
  ) {
    super('MISSING_INPUT', message);
  }
}

/** Quotes a value for an error message: short, one line. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`;
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'symbol') text = value.toString();
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
