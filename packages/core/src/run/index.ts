/**
 * run/: running pipelines: the Runner, its scheduling, nodes mapped over arrays, dry runs, miss
 * reasons and progress, the history of runs and the diff of two; `remote/` is the executor seam
 * (tasks out, results back).
 */
export { type HistoryOptions, historyOf } from './history.ts';
export { diffRuns, type NodeChange, type NodeState, type RunDiff } from './history-diff.ts';
export { type PerformOptions, performTask } from './remote/perform-task.ts';
export {
  type ErrorJSON,
  type Executor,
  errorFromJSON,
  errorToJSON,
  type NodeTask,
  type TaskResult,
  type UpstreamRef,
} from './remote/task.ts';
export {
  type ExplainOptions,
  type ExplainReport,
  type ExplainStatus,
  type NodeExplanation,
  Runner,
  type RunnerCacheOptions,
  type RunnerOptions,
  type RunOptions,
  type RunResult,
} from './runner.ts';
