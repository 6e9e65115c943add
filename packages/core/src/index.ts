/**
 * `@memoflow/core`: memoize functions and run pipelines of them against a cache. Authors of
 * backends import from `@memoflow/core/backend-kit`, authors of executors from
 * `@memoflow/core/executor`.
 */
export type {
  CacheBackend,
  CacheInfo,
  EntryRecord,
  NodeUsage,
  OnProgress,
  PruneOptions,
  PruneResult,
  RunHistoryStore,
  VerifyReport,
} from './backends/index.ts';
export {
  DiskCache,
  type DiskCacheInfo,
  type DiskCacheOptions,
  MemoryCache,
  type MemoryCacheOptions,
  type Tier,
  TieredCache,
  type TieredCacheInfo,
  type TieredCacheOptions,
  type TierInfo,
  type TierOptions,
  type TransferResult,
} from './backends/index.ts';
export {
  BackendError,
  CapturedVariableError,
  ConfigError,
  CycleError,
  DuplicateOutputError,
  MemoflowError,
  type MemoflowErrorCode,
  MissingInputError,
  NodeFailedError,
  SerializationError,
  SignatureMismatchError,
  UnhashableInputError,
} from './errors.ts';
export { type CacheMode, type FuncOptions, func, type Memoized, type NodeTypes } from './memo/index.ts';
export {
  type OutputName,
  Pipeline,
  type PipelineEntry,
  type PipelineInputs,
  type PipelineNode,
  type PipelineOutputs,
  type PipelineResult,
  type WiringError,
} from './pipeline/index.ts';
export {
  formatDuration,
  type MissReason,
  type NodeReport,
  type NodeStatus,
  type RunRecord,
  RunReport,
  type RunReportData,
  type RunSource,
  type RunSummary,
} from './report/index.ts';
export type { ExplainOptions, ExplainReport, ExplainStatus, NodeExplanation } from './run/index.ts';
export {
  diffRuns,
  type HistoryOptions,
  historyOf,
  type NodeChange,
  type NodeState,
  type RunDiff,
  Runner,
  type RunnerCacheOptions,
  type RunnerOptions,
  type RunOptions,
  type RunResult,
} from './run/index.ts';
export { assertRoundTrips, type Serializer, v8Serializer } from './serializer/index.ts';
export { HASH_PROTOCOL, hashValue, SIGNATURE_VERSION, type Signature } from './signature/index.ts';
