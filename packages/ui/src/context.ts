/** What every route of the server reads: the pipeline, its layout, the cache, its runs, live updates. */
import type { CacheBackend, Pipeline } from '@memoflow/core';
import type { LiveUpdates } from './live.ts';
import type { RunLog } from './run-log.ts';
import type { GraphData } from './types.ts';

export interface UiContext {
  pipeline: Pipeline;
  graph: GraphData;
  backend: CacheBackend;
  runs: RunLog;
  live: LiveUpdates;
  /** Stored values larger than this are not previewed. */
  previewLimitBytes: number;
}
