import type { AnyFunction, Memoized, NodeInfo } from '../memo/index.ts';

/** A node of a Pipeline: how a memoized function is wired, and the function itself. */
export interface PipelineNode extends NodeInfo {
  /** The memoized function. */
  fn: Memoized<AnyFunction>;
}
