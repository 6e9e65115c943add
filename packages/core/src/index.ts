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
} from './backend.ts';
export { KEY_PATTERN } from './backend.ts';
export * from './backend-kit.ts';
export {
  DiskCache,
  type DiskCacheInfo,
  type DiskCacheOptions,
  type TransferResult,
} from './disk-cache.ts';
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
export {
  type ErrorJSON,
  type Executor,
  errorFromJSON,
  errorToJSON,
  type NodeTask,
  type TaskResult,
  type UpstreamRef,
} from './executor.ts';
export { type CacheMode, type FuncOptions, func, type Memoized } from './func.ts';
export { MemoryCache, type MemoryCacheOptions } from './memory-cache.ts';
export { type PerformOptions, performTask } from './perform-task.ts';
export { Pipeline, type PipelineNode } from './pipeline.ts';
export {
  type MissReason,
  type NodeReport,
  type NodeStatus,
  RunReport,
  type RunReportData,
} from './report.ts';
export type { ExplainOptions, ExplainReport, ExplainStatus, NodeExplanation } from './runner.ts';
export {
  Runner,
  type RunnerCacheOptions,
  type RunnerOptions,
  type RunOptions,
  type RunResult,
} from './runner.ts';
export {
  assertRoundTrips,
  decodeEntry,
  encodeEntry,
  MISS,
  type Serializer,
  v8Serializer,
} from './serializer.ts';
export type { CodeAnalysis, ParamInfo } from './signature/code/analyze.ts';
export { HASH_PROTOCOL, hashValue } from './signature/inputs/hash-inputs.ts';
export { composeKey, depsHashOf, NO_DEPS_HASH, SIGNATURE_VERSION, type Signature } from './signature/key.ts';
export {
  PROMOTED_NODE,
  type Tier,
  TieredCache,
  type TieredCacheInfo,
  type TieredCacheOptions,
  type TierInfo,
  type TierOptions,
} from './tiered-cache.ts';
