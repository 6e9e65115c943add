export * from './backend-kit.ts';
export type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  LiveEntry,
  NodeSignature,
  NodeUsage,
  OnProgress,
  PruneOptions,
  PruneResult,
  VerifyReport,
} from './backends/contract.ts';
export { KEY_PATTERN } from './backends/contract.ts';
export {
  DiskCache,
  type DiskCacheInfo,
  type DiskCacheOptions,
  type TransferResult,
} from './backends/disk/disk-cache.ts';
export { MemoryCache, type MemoryCacheOptions } from './backends/memory/memory-cache.ts';
export {
  PROMOTED_NODE,
  type Tier,
  TieredCache,
  type TieredCacheInfo,
  type TieredCacheOptions,
  type TierInfo,
  type TierOptions,
} from './backends/tiered/tiered-cache.ts';
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
export { type CacheMode, type FuncOptions, func, type Memoized } from './memo/func.ts';
export { Pipeline, type PipelineNode } from './pipeline/pipeline.ts';
export {
  type MissReason,
  type NodeReport,
  type NodeStatus,
  RunReport,
  type RunReportData,
} from './report/report.ts';
export { type PerformOptions, performTask } from './run/remote/perform-task.ts';
export {
  type ErrorJSON,
  type Executor,
  errorFromJSON,
  errorToJSON,
  type NodeTask,
  type TaskResult,
  type UpstreamRef,
} from './run/remote/task.ts';
export type { ExplainOptions, ExplainReport, ExplainStatus, NodeExplanation } from './run/runner.ts';
export {
  Runner,
  type RunnerCacheOptions,
  type RunnerOptions,
  type RunOptions,
  type RunResult,
} from './run/runner.ts';
export {
  assertRoundTrips,
  decodeEntry,
  encodeEntry,
  MISS,
  type Serializer,
  v8Serializer,
} from './serializer/serializer.ts';
export type { CodeAnalysis, ParamInfo } from './signature/code/analyze.ts';
export { HASH_PROTOCOL, hashValue } from './signature/inputs/hash-inputs.ts';
export { composeKey, depsHashOf, NO_DEPS_HASH, SIGNATURE_VERSION, type Signature } from './signature/key.ts';
