import type { CacheBackend } from '../backends/index.ts';
import { ConfigError, quote } from '../errors.ts';
import type { Serializer } from '../serializer/index.ts';
import type { Signature } from '../signature/index.ts';
import { captureCallSite } from '../signature/index.ts';
import { Memo } from './memo.ts';
import type { AnyFunction, NodeInputs, NodeTypes, NodeValue } from './node-types.ts';
import type { CacheMode } from './types.ts';
import { forwarding } from './wrapper.ts';

export type { CacheMode } from './types.ts';

/**
 * Options of `func()`. Every one is optional. `Output`, `Inputs` and `Map` are the literal types
 * of `output`, `inputs` and `map`, which a Pipeline reads to type its wiring.
 */
export interface FuncOptions<
  Args extends unknown[] = any[],
  Output extends string = string,
  Inputs extends readonly string[] = readonly string[],
  Map extends string = string,
> {
  /**
   * The name of the value the function produces. In a Pipeline, nodes with a parameter of this
   * name receive it; it is also the name in reports and meta.
   * @default the name the function is declared or assigned under
   */
  output?: Output;
  /**
   * Parameter names, in order, for functions whose source does not show them; or properties that
   * a single destructured parameter takes, passed to it as one object. Also what types a node's
   * inputs in a Pipeline: `inputs: ['rows', 'threshold'] as const`.
   * @default read from the function's source
   */
  inputs?: Inputs;
  /**
   * Values of variables the function reads from an enclosing function or block (a factory's
   * parameter, a loop variable), hashed with the inputs at every call. Without them memoflow
   * reads the values from the function's closure once, when the function is first used; give them
   * here when a value changes later, or cannot be hashed (`CAPTURED_VARIABLE` says which).
   * @default {}
   * @example const scaler = (k: number) => func({ captures: { k } }, async (x: number) => x * k);
   */
  captures?: Record<string, unknown>;
  /** Pipeline only: the name of an array input to map over, caching each item on its own. */
  map?: Map;
  /**
   * `true`: read and write the process-wide MemoryCache; a backend: read and write that;
   * `false`: no caching; `'recompute'` or `'write-only'`: always compute and store;
   * `'read-only'`: use stored results, never store new ones.
   * @default true
   */
  cache?: CacheMode | CacheBackend;
  /** Folded into the code hash: bump it to invalidate results when something the code hash cannot see changed. */
  version?: string | number;
  /** Extra functions whose code counts, e.g. ones called through a dynamic lookup. @default [] */
  deps?: readonly Function[];
  /** Argument names (or properties of a destructured argument, or `'this'`) left out of the inputs hash. @default [] */
  ignore?: readonly string[];
  /** A custom input key: its result is hashed in place of the arguments. */
  key?: (...args: Args) => unknown;
  /**
   * Names of environment variables whose values count (read at every call). Names the code reads
   * as `process.env.NAME` or `process.env['NAME']` count without being listed. @default []
   */
  env?: readonly string[];
  /**
   * Files the function reads (data, scripts it runs): globs relative to the working directory,
   * e.g. `['data/*.csv']`. Their contents count, checked at every call (a file is read again only
   * when its size or modification time changed). @default []
   */
  files?: readonly string[];
  /** How results are stored. @default v8Serializer (node:v8 structured clone) */
  serializer?: Serializer;
  /** Milliseconds a stored result stays valid. @default no expiry */
  ttl?: number;
  /** `'all'` keeps every signature's result; `'latest'` keeps one per node, deleting the previous on store. @default 'all' */
  retention?: 'all' | 'latest';
  /**
   * Cut the code hash after this many module hops from the function's module. Left out, project
   * source is followed to the end; what a cut leaves out is listed in `.signature().cut`.
   * @default undefined (no cut)
   */
  dependencyDepth?: number;
}

/**
 * A memoized function: same arguments as the original, always async. `Output` is its output name
 * (`func({ output: 'rows' }, …)` → `'rows'`), `Inputs` its inputs' names and types where the type
 * system sees them (else `unknown`), `Value` what it produces in a Pipeline: what a Pipeline reads
 * to type its outputs, its inputs and its wiring.
 */
export type Memoized<
  F extends AnyFunction,
  Output extends string = string,
  Inputs = unknown,
  Value = Awaited<ReturnType<F>>,
> = ((this: ThisParameterType<F>, ...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>) & {
  /**
   * The signature a call with these arguments would have, without running or reading anything.
   * For a decorated method, call it with the instance: `Model.prototype.train.signature.call(model, data)`.
   */
  signature(this: ThisParameterType<F>, ...args: Parameters<F>): Promise<Signature>;
  /** The node name: `output`, else the declared name, else the function's name. */
  readonly node: Output;
  /** The options it was created with. */
  readonly options: Readonly<FuncOptions<Parameters<F>>>;
  /** The original function. */
  readonly original: F;
  /** Type only, never set: the node's output name, inputs and value, for Pipeline's types. */
  readonly '~node'?: NodeTypes<Output, Inputs, Value>;
};

/** The engine behind a memoized function, for the Runner. */
export const MEMO: unique symbol = Symbol('memoflow.memo') as any;

/** The engine of a memoized function. */
export function memoOf(fn: Memoized<(...args: any[]) => any>): Memo {
  return (fn as unknown as { [MEMO]: Memo })[MEMO];
}

const OPTION_NAMES = new Set([
  'output',
  'inputs',
  'captures',
  'map',
  'cache',
  'version',
  'deps',
  'ignore',
  'key',
  'env',
  'serializer',
  'ttl',
  'retention',
  'dependencyDepth',
  'files',
]);
const CACHE_MODES = new Set([true, false, 'recompute', 'read-only', 'write-only']);

/**
 * Memoizes a function by content: a hash of its code (and the helpers it calls), its
 * environment and its arguments. Same signature, same result — in this process, the next run,
 * or another machine, depending on the `cache` backend.
 *
 * @example
 * const square = func({ cache: new DiskCache() }, async (x: number) => x * x);
 * await square(4); // computes
 * await square(4); // read from .memoflow/
 */
export function func<F extends AnyFunction>(fn: F): Memoized<F, string, NodeInputs<F>>;
export function func<
  F extends AnyFunction,
  const Output extends string = string,
  const Inputs extends readonly string[] = never,
  const Map extends string = never,
>(
  options: FuncOptions<Parameters<F>, Output, Inputs, Map>,
  fn: F,
): Memoized<F, Output, NodeInputs<F, Inputs, Map>, NodeValue<F, Map>>;
/** As a TS 5 method decorator: `@func({ output: 'model' }) train(data: Data) { … }`. `this` is hashed when the method reads it. */
export function func(
  options: FuncOptions,
): <F extends (...args: any[]) => any>(method: F, context: ClassMethodDecoratorContext) => Memoized<F>;
export function func(first: unknown, second?: unknown): unknown {
  const callSite = captureCallSite(func);
  if (typeof first === 'function' && second === undefined) return wrap(first, {}, callSite, 'call');
  const options = validateOptions(first);
  if (second === undefined) {
    return (method: Function, context: ClassMethodDecoratorContext) => {
      if (context?.kind !== 'method') {
        throw new ConfigError(
          `\`@func()\` decorates methods, not a ${context?.kind ?? 'value'}: put it on a method, or call \`func(options, fn)\`.`,
        );
      }
      return wrap(method, options, callSite, 'decorator');
    };
  }
  if (typeof second !== 'function') {
    throw new TypeError(
      `Expected \`fn\` to be a function, got ${quote(second)}: call \`func(options, fn)\`.`,
    );
  }
  return wrap(second, options, callSite, 'call');
}

/**
 * The `node` getter of every memoized function: one function for all, as V8 keeps properties fast
 * only where accessors match (a getter closure per function put all but the first in dictionary mode).
 */
function nodeName(this: Memoized<AnyFunction>): string {
  return memoOf(this).node;
}

function wrap(
  fn: Function,
  options: FuncOptions,
  callSite: ReturnType<typeof captureCallSite>,
  form: 'call' | 'decorator',
) {
  const memo = new Memo(fn, options, { fn, callSite, form });
  // Named and sized from the start, so its properties stay fast (see wrapper.ts).
  const memoized = forwarding(fn.name, fn.length, (self, args) => memo.call(self, args));
  Object.defineProperties(memoized, {
    signature: {
      value: function (this: unknown, ...args: unknown[]) {
        return memo.signature(this, args);
      },
    },
    node: { get: nodeName, enumerable: true },
    options: { value: options, enumerable: true },
    original: { value: fn },
    [MEMO]: { value: memo },
  });
  return memoized;
}

function validateOptions(value: unknown): FuncOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      `Expected \`options\` to be an object, got ${quote(value)}: call \`func(options, fn)\` or \`func(fn)\`.`,
    );
  }
  const options = value as FuncOptions;
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      throw new ConfigError(
        `Unknown option \`${name}\` of func(). Known options: ${[...OPTION_NAMES].join(', ')}.`,
      );
    }
  }
  const { cache, ttl, dependencyDepth, retention } = options;
  if (cache !== undefined && !CACHE_MODES.has(cache as CacheMode) && !isBackend(cache)) {
    throw new ConfigError(
      `Option \`cache\` is ${quote(cache)}: use true, false, 'recompute', 'read-only', 'write-only' or a cache backend such as \`new DiskCache()\`.`,
    );
  }
  if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0)) {
    throw new ConfigError(
      `Option \`ttl\` is ${quote(ttl)}: give a positive number of milliseconds, or leave it out for no expiry.`,
    );
  }
  if (dependencyDepth !== undefined && !(Number.isInteger(dependencyDepth) && dependencyDepth >= 0)) {
    throw new ConfigError(
      `Option \`dependencyDepth\` is ${quote(dependencyDepth)}: give a whole number ≥ 0 (0 hashes only the function's own module).`,
    );
  }
  if (retention !== undefined && retention !== 'all' && retention !== 'latest') {
    throw new ConfigError(`Option \`retention\` is ${quote(retention)}: use 'all' or 'latest'.`);
  }
  for (const name of ['ignore', 'env', 'inputs', 'files'] as const) {
    const list = options[name];
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string'))) {
      throw new ConfigError(`Option \`${name}\` is ${quote(list)}: give an array of names, e.g. ['config'].`);
    }
  }
  if (
    options.deps !== undefined &&
    !(Array.isArray(options.deps) && options.deps.every((d) => typeof d === 'function'))
  ) {
    throw new ConfigError(
      `Option \`deps\` is ${quote(options.deps)}: give an array of functions whose code counts.`,
    );
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new ConfigError(
      `Option \`key\` is ${quote(options.key)}: give a function of the arguments, e.g. \`key: (user) => user.id\`.`,
    );
  }
  if (options.captures !== undefined && (options.captures === null || typeof options.captures !== 'object')) {
    throw new ConfigError(
      `Option \`captures\` is ${quote(options.captures)}: give an object of the captured values, e.g. \`captures: { k }\`.`,
    );
  }
  return options;
}

function isBackend(value: unknown): value is CacheBackend {
  return value !== null && typeof value === 'object' && typeof (value as CacheBackend).getBlob === 'function';
}
