/**
 * `@memoflow/core/executor`: for authors of executors, which compute a run's misses elsewhere
 * (BullMQ workers, say). A Runner hands an executor `NodeTask`s; a worker performs each with
 * `performTask` against the same cache and reports a `TaskResult`, or the error as JSON.
 */

export {
  type ErrorJSON,
  type Executor,
  errorFromJSON,
  errorToJSON,
  type NodeTask,
  type PerformOptions,
  performTask,
  type TaskResult,
  type UpstreamRef,
} from './run/index.ts';
