/** memo/: one memoized function: `func()`, its options, and the engine behind a call (key, lookup, compute, store). */
export { type CacheMode, type FuncOptions, func, MEMO, type Memoized, memoOf } from './func.ts';
export { defaultBackend, type Memo } from './memo.ts';
export type { AnyFunction, IsLiteralName, NodeInputs, NodeTypes, NodeValue } from './node-types.ts';
export { storeResult, warnOnce } from './store.ts';
export type { NodeInfo, Prepared } from './types.ts';
