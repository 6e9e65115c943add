/**
 * run/: running pipelines: the Runner, its scheduling, nodes mapped over arrays, dry runs, miss
 * reasons and progress; `remote/` is the executor seam (tasks out, results back).
 */
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
